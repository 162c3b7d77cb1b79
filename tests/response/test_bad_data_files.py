"""One bad file in the user's playbook or template folder costs that file only, and says so in one line."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input
from warroom.console import comms
from warroom.console.config import load_config
from warroom.console.datafiles import MAX_DATA_FILE
from warroom.console.playbooks import PlaybookLibrary

from .harness import GuidedTestApp
from .pilot_steps import message, opened, settle

GOOD_PLAYBOOK = """[playbook]
id = "power-bi"
kind = "service"
title = "Power BI"
service = "Power BI"

[[steps]]
id = "refresh"
text = "Power BI: check dataset refresh failures"
role = "service_owner"
"""


def _bad_folder(tmp_path: Path, good_name: str, good_text: str) -> Path:
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "a-latin1.toml").write_bytes(b'[playbook]\nid = "x"\ntitle = "Caf\xe9"\n')
    (folder / "b-invalid.toml").write_text("[playbook\n", encoding="utf-8")
    (folder / "c-huge.toml").write_bytes(b"#" * (MAX_DATA_FILE + 1))
    (folder / "d-directory.toml").mkdir()
    (folder / good_name).write_text(good_text, encoding="utf-8")
    return folder


def test_bad_playbook_files_are_skipped_and_named_and_the_rest_loads(tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path, "power-bi.toml", GOOD_PLAYBOOK)
    library = PlaybookLibrary.load(folder)
    assert library.for_service("Power BI") is not None               # the user's good file
    assert library.for_category("security-incident") is not None      # the built-in ones
    reasons = [str(error) for error in library.skipped]
    assert reasons[0] == f"{folder / 'a-latin1.toml'}, line 3: not UTF-8 (byte 0xe9)"
    assert reasons[1].startswith(f"{folder / 'b-invalid.toml'}, line 1: invalid TOML")
    assert reasons[2] == f"{folder / 'c-huge.toml'}: larger than 1024 KiB"
    assert reasons[3] == f"{folder / 'd-directory.toml'}: not a regular file"
    assert len(reasons) == 4


def test_a_bad_user_template_leaves_the_built_in_ones(tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path, "initial.toml",
                         '[template]\nid = "initial"\nupdate_kind = "initial"\ntext = "Heads up: {title}"\n')
    (folder / "progress.toml").write_bytes(b'[template]\nid = "progress"\nupdate_kind = "progress"\ntext = "\xff"\n')
    templates = comms.load_templates(load_config(overrides={"comms.templates": str(folder)}))
    assert {t.update_kind for t in templates.values()} == set(comms.UPDATE_KINDS)
    assert templates["initial"].text == "Heads up: {title}\n"          # the user's good one replaces the built-in
    assert templates["progress"].source == "data/templates/progress.toml"
    assert [e.file for e in templates.skipped][-1] == str(folder / "progress.toml")


async def test_declare_works_with_a_bad_playbook_and_says_which_file_was_skipped(room, tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path, "power-bi.toml", GOOD_PLAYBOOK)
    _, warroom = await room("exchange-outage", **{"playbooks.folder": str(folder)})
    app = GuidedTestApp(warroom, "declare", issue_id="EX1195342")
    async with opened(app, (80, 24)) as pilot:
        shown = message(pilot)
        assert shown.startswith("Skipped 4 playbook files: ") and "a-latin1.toml, line 3: not UTF-8" in shown
        assert any("Skipped 4 playbook files" in n.message for n in app._notifications)
        await pilot.press("f2")
        await settle(pilot)
    assert warroom.incident is not None and app.results == [warroom.incident.id]


async def test_communicate_fills_from_the_built_in_template_when_the_users_is_broken(room, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "initial.toml").write_bytes(b'[template]\nid = "initial"\nupdate_kind = "initial"\ntext = "\xff"\n')
    _, warroom = await room("exchange-outage", **{"comms.templates": str(folder)})
    app = GuidedTestApp(warroom, "declare", issue_id="EX1195342")
    async with opened(app, (120, 60)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
    app = GuidedTestApp(warroom, "communicate")
    async with opened(app, (80, 24)) as pilot:
        assert "INCIDENT NOTIFICATION" in app.screen.query_one("#communicate-subject", Input).value
        assert message(pilot).startswith(f"Skipped 1 template file: {folder / 'initial.toml'}, line 4: not UTF-8")


def test_warroom_config_names_the_skipped_files_on_stderr(tmp_path: Path, capsys) -> None:
    from warroom.console.cli import main

    folder = _bad_folder(tmp_path, "power-bi.toml", GOOD_PLAYBOOK)
    config = tmp_path / "config.toml"
    config.write_text(f'[playbooks]\nfolder = "{folder}"\n', encoding="utf-8")
    assert main(["config", "--config", str(config), "--journal", str(tmp_path / "j.db")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"warroom: playbook file skipped: {folder / 'a-latin1.toml'}, line 3: not UTF-8 (byte 0xe9)"
    assert len(err) == 4

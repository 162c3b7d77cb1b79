"""`[ui.keys]` is checked against the action registry at load: what cannot work is refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console.actions import ACTIONS, BY_ID, check_keymap, is_key, keys_of, shown
from warroom.console.config import ConfigError, load_config


def _config(tmp_path: Path, keys: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'responder = "ann"\n\n[ui.keys]\n{keys}\n')
    return path


def test_a_good_remap_loads(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, '"dashboard.note" = "N"\n"contain.execute" = "f9"'), environ={})
    assert config["ui.keys"] == {"dashboard.note": "N", "contain.execute": "f9"}


@pytest.mark.parametrize("line, reason", [
    ('"dashboard.notes" = "N"', "'dashboard.notes' is not an action (did you mean"),
    ('"nothing.at_all" = "N"', "is not an action (the ids are listed in docs/keys.md)"),
    ('"dashboard.note" = "q"', "takes the quit key (q)"),
    ('"dashboard.note" = "d"', "collides with dashboard.declare (Declare incident, d)"),
    ('"dashboard.assess" = "tab"', "collides with app.focus_next"),
    ('"alerts.sort" = "j"', "collides with list.down (Down, j)"),
    ('"list.down" = "s"', "collides with alerts.sort"),
    ('"review.goto" = "i"', "collides with review.incidents (Pick an incident, i)"),
    ('"review.verify" = "q"', "collides with review.close (Close, q)"),
    ('"list.first" = "g"', "collides with review.goto (Go to a time, g)"),
    ('"review_entry.close" = "tab"', "collides with app.focus_next"),
    ('"app.command_palette" = "d"', "collides with dashboard.declare (Declare incident, d)"),
    ('"app.focus_next" = "j"', "collides with list.down (Down, j)"),
    ('"app.command_palette" = "f2"', "collides with declare.submit (Declare the incident, F2)"),
    ('"app.quit" = "s"', "collides with alerts.sort"),
    ('"contain.execute" = "r"', "on guided screens letters are text"),
    ('"dashboard.note" = "ctrl+notakey"', "'ctrl+notakey' is not a key name"),
    ('"dashboard.note" = 3', "must be a key"),
])
def test_a_remap_that_cannot_work_is_refused_with_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = _config(tmp_path, f'"dashboard.decision" = "D"\n{line}')
    with pytest.raises(ConfigError) as refused:
        load_config(path, environ={})
    assert str(refused.value).startswith(f"{path}, line 5: ")
    assert reason in str(refused.value)


def test_remapping_quit_itself_moves_the_quit_key() -> None:
    assert check_keymap({"app.quit": "ctrl+q", "dashboard.note": "q"}) == {"app.quit": "ctrl+q", "dashboard.note": "q"}
    with pytest.raises(ValueError, match="takes the quit key"):
        check_keymap({"app.quit": "Q", "dashboard.note": "Q"})


def test_the_quit_key_may_stay_the_close_key_of_reading_screens() -> None:
    """Where q closes a reading screen by default, a quit key moved elsewhere may still close it there."""
    for keymap in ({"app.quit": "ctrl+q", "help.close": "ctrl+q"}, {"help.close": "ctrl+q", "app.quit": "ctrl+q"},
                   {"app.quit": "ctrl+q", "messages.close": "q"}):
        assert check_keymap(keymap) == keymap


def test_a_remap_from_the_command_line_is_checked_too() -> None:
    with pytest.raises(ConfigError, match=r"flag for ui.keys: .*collides"):
        load_config(overrides={"ui.keys": {"dashboard.note": "d"}}, environ={})


def test_the_defaults_are_keys_and_guided_screens_use_f_keys() -> None:
    for action in ACTIONS:
        assert all(is_key(key) for key in keys_of(action.key)), action.id
        if action.place in ("declare", "assess", "contain", "communicate", "close", "guided"):
            assert all(k.startswith("f") or k == "escape" for k in keys_of(action.key)), action.id


def test_keys_are_written_as_a_person_reads_them() -> None:
    assert [shown(k) for k in ("question_mark", "colon", "f2", "escape,q", "ctrl+g", "?")] == [
        "?", ":", "F2", "Esc / q", "ctrl+g", "?"]


def test_docs_list_every_action_id() -> None:
    """docs/keys.md is where a responder finds the ids to remap: it lists each, with its default key."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "keys.md").read_text(encoding="utf-8")
    for action in ACTIONS:
        assert f"| `{action.id}` | `{shown(action.key)}` |" in text, action.id
    assert len(BY_ID) == len(ACTIONS)

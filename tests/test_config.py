"""Configuration: default < file < environment < flag, each value with its origin; errors point at the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from warroom.console.cli import main
from warroom.console.config import SETTINGS, ConfigError, load_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_with_no_file(tmp_path: Path) -> None:
    config = load_config(environ={"XDG_DATA_HOME": str(tmp_path)})
    assert config.file is None
    assert config["ui.theme"] == SETTINGS["ui.theme"].default
    assert set(config.origins.values()) == {"default"}
    assert config.journal_path.name == "journal.db"
    assert config.responder


def test_each_layer_overrides_the_one_below_and_says_so(tmp_path: Path) -> None:
    file = _write(tmp_path, 'journal = "/from/file.db"\n[ui]\ntheme = "light"\n')
    from_file = load_config(file, environ={})
    assert (from_file["journal"], from_file.origins["journal"]) == ("/from/file.db", f"file {file}")
    assert (from_file["ui.theme"], from_file.origins["ui.theme"]) == ("light", f"file {file}")
    assert from_file.origins["timezone"] == "default"

    env = {"WARROOM_JOURNAL": "/from/env.db", "WARROOM_THEME": "ansi"}
    from_env = load_config(file, environ=env)
    assert (from_env["journal"], from_env.origins["journal"]) == ("/from/env.db", "environment WARROOM_JOURNAL")
    assert from_env["ui.theme"] == "ansi"

    from_flag = load_config(file, environ=env, overrides={"journal": "/from/flag.db", "graph.url": None})
    assert (from_flag["journal"], from_flag.origins["journal"]) == ("/from/flag.db", "command line")
    assert from_flag.origins["graph.url"] == "default", "an absent flag must not override anything"


def test_an_empty_environment_variable_does_not_override(tmp_path: Path) -> None:
    file = _write(tmp_path, '[ui]\ntheme = "light"\n')
    assert load_config(file, environ={"WARROOM_THEME": ""})["ui.theme"] == "light"


def test_warroom_config_env_names_the_file(tmp_path: Path) -> None:
    file = _write(tmp_path, 'timezone = "Europe/Paris"\n')
    config = load_config(environ={"WARROOM_CONFIG": str(file)})
    assert (config.file, config["timezone"]) == (file, "Europe/Paris")


def test_a_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml", environ={})


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    file = _write(tmp_path, 'responder = "sam"\ntimezone = UTC\n')
    with pytest.raises(ConfigError) as caught:
        load_config(file, environ={})
    message = str(caught.value)
    assert str(file) in message and "invalid TOML" in message and "line 2" in message
    assert "\n" not in message


def test_an_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    file = _write(tmp_path, '[graph]\ncloud = "global"\n\n[ui]\ncloud = "usgov"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(file, environ={})
    assert str(caught.value) == f"{file}, line 5: unknown key 'ui.cloud'"


def test_an_unknown_top_level_key(tmp_path: Path) -> None:
    file = _write(tmp_path, 'responder = "sam"\nresponsder = "sam"\n')
    with pytest.raises(ConfigError, match=r"line 2: unknown key 'responsder'"):
        load_config(file, environ={})


def test_an_empty_unknown_table_is_reported(tmp_path: Path) -> None:
    file = _write(tmp_path, 'responder = "sam"\n[grpah]\n')
    with pytest.raises(ConfigError, match=r"line 2: unknown key 'grpah'"):
        load_config(file, environ={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("responder = 5\n", r"line 1: responder must be str, not int 5"),
        ('read_only = "maybe"\n', r"line 1: read_only must be true or false"),
        ('[graph]\ncloud = "mars"\n', r"line 2: graph.cloud must be one of global, usgov"),
        ("[ui]\nbell = [1]\n", r"line 2: ui.bell must be bool"),
    ],
)
def test_wrong_types_name_the_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_config(_write(tmp_path, text), environ={})


def test_booleans_from_the_environment(tmp_path: Path) -> None:
    assert load_config(environ={"WARROOM_READ_ONLY": "yes"})["read_only"] is True
    assert load_config(environ={"WARROOM_READ_ONLY": "0"})["read_only"] is False
    with pytest.raises(ConfigError, match="environment WARROOM_READ_ONLY: read_only must be true or false"):
        load_config(environ={"WARROOM_READ_ONLY": "maybe"})


# -- `warroom config` ------------------------------------------------------------------------------


def test_warroom_config_shows_values_and_origins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, '[ui]\ntheme = "light"\n')
    assert main(["config", "--config", str(file), "--journal", str(tmp_path / "j.db")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"# config file: {file}"
    by_key = {line.split()[0]: line for line in lines[1:]}
    assert set(by_key) >= {"responder", "journal", "ui.theme", "graph.cloud"}
    assert by_key["ui.theme"].split()[1] == "light" and by_key["ui.theme"].endswith(f"(file {file})")
    assert by_key["journal"].endswith("(command line)")
    assert by_key["responder"].endswith("(environment WARROOM_RESPONDER)")
    assert by_key["graph.cloud"].endswith("(default)")


def test_warroom_config_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--journal", str(tmp_path / "j.db"), "config", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["journal"] == {"value": str(tmp_path / "j.db"), "from": "command line"}
    assert shown["responder"] == {"value": "test-responder", "from": "environment WARROOM_RESPONDER"}
    assert set(shown) == set(SETTINGS)


def test_a_bad_config_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, "[ui]\nthem = 1\n")
    assert main(["config", "--config", str(file)]) == 2
    assert capsys.readouterr().err == f"warroom: {file}, line 2: unknown key 'ui.them'\n"

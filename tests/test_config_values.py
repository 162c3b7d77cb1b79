"""Every value the configuration accepts is one the console can use: the rest is refused at load, file and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warroom.console.cli import main
from warroom.console.config import SETTINGS, ConfigError, load_config
from warroom.console.timefmt import display_zone, utc_now


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('timezone = "Mars/Olympus"\n', r"line 1: timezone must be UTC, local or a time zone"),
        ('timezone = "../../etc/passwd"\n', r"line 1: timezone must be UTC, local or a time zone"),
        ('timezone = ""\n', r"line 1: timezone must be UTC, local or a time zone"),
        ("[updates]\nsev1_minutes = 99999999999\n", r"line 2: updates.sev1_minutes must be between 1 and 10080"),
        ("[updates]\nsev4_minutes = 0\n", r"line 2: updates.sev4_minutes must be between 1 and 10080"),
        ("[graph.poll]\nalerts = 0\n", r"line 2: graph.poll.alerts must be between 5 and 86400 seconds"),
        ("[graph.poll]\nrisky_users = -1\n", r"line 2: graph.poll.risky_users must be between 5 and 86400"),
        ("[graph.poll]\nhealth = 99999999999999\n", r"line 2: graph.poll.health must be between 5 and 86400"),
        ("[drill]\ntarget_contain_minutes = -5\n", r"line 2: drill.target_contain_minutes must be between 1 and"),
        ('responder = ""\n', r"line 1: responder must not be empty"),
        ('responder = "sam\\u001b[2J"\n', r"line 1: responder must not contain control"),
        ('responder = "\\u202eevil"\n', r"line 1: responder must not contain control"),
        ('journal = "/tmp/j\\u0000.db"\n', r"line 1: journal must not contain control"),
        ('[playbooks]\nfolder = "x\\u0000y"\n', r"line 2: playbooks.folder must not contain control"),
        ('[comms]\ntemplates = ""\n', r"line 2: comms.templates must not be empty"),
        ('[graph]\nurl = "ftp://graph.example"\n', r"line 2: graph.url must be an https URL"),
        ('[graph]\nurl = "http://graph.example.com"\n', r"line 2: graph.url must be an https URL"),
        ('[graph]\ntenant_id = "contoso.com/../x"\n', r"line 2: graph.tenant_id must be a tenant id"),
        ('[graph]\nclient_id = "a\\nb"\n', r"line 2: graph.client_id must not contain control"),
        ('[comms]\ncontacts = { stakeholders = 5 }\n', r"line 2: comms.contacts stakeholders must be an address"),
        ('[comms]\nescalation = ["duty manager", 3]\n', r"line 2: comms.escalation must be a list of names"),
    ],
)
def test_values_the_console_cannot_use_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    file = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(file, environ={})
    message = str(caught.value)
    assert message.startswith(f"{file}, line ") and "\n" not in message and "\x1b" not in message
    assert "\x00" not in message and "\u202e" not in message


@pytest.mark.parametrize(
    "text",
    [
        'timezone = "Europe/Paris"\n', 'timezone = "local"\n', 'timezone = "utc"\n',
        "[updates]\nsev1_minutes = 15\n", "[graph.poll]\nwatched_alerts = 5\n",
        '[graph]\nurl = "http://127.0.0.1:8080"\ntenant_id = "contoso.onmicrosoft.com"\n',
        '[graph]\ntenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"\n',
        '[comms]\ncontacts = { stakeholders = ["a@x.example"], reply_to = "ir@x.example" }\n'
        'escalation = ["duty manager", "CIO"]\n',
        'responder = "Amélie Ø\'Brien"\n',
    ],
)
def test_usual_values_still_load(tmp_path: Path, text: str) -> None:
    load_config(_write(tmp_path, text), environ={})


def test_the_environment_is_checked_the_same_way() -> None:
    with pytest.raises(ConfigError, match="environment WARROOM_TIMEZONE: timezone must be UTC, local"):
        load_config(environ={"WARROOM_TIMEZONE": "Mars/Olympus"})


def test_warroom_config_refuses_what_the_console_would_crash_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, 'timezone = "Mars/Olympus"\n[updates]\nsev1_minutes = 30\n')
    assert main(["config", "--config", str(file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"warroom: {file}, line 1: timezone must be") and err.count("\n") == 1


def test_no_zone_database_is_read_for_utc_or_local(tmp_path: Path) -> None:
    """The first frame does not pay for zoneinfo unless a named zone is configured."""
    import subprocess
    import sys

    code = ("import sys; from warroom.console.config import load_config; "
            "load_config(environ={'WARROOM_TIMEZONE': sys.argv[1]}); print('zoneinfo' in sys.modules)")
    for zone, loaded in (("UTC", "False"), ("local", "False"), ("Europe/Paris", "True")):
        out = subprocess.run([sys.executable, "-c", code, zone], capture_output=True, text=True, check=True,
                             env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}).stdout.strip()
        assert out == loaded, zone


_INT_KEYS = sorted(key for key, s in SETTINGS.items() if s.kind is int)


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(_INT_KEYS), value=st.integers(min_value=-(2**70), max_value=2**70))
def test_every_accepted_number_can_be_scheduled(key: str, value: int) -> None:
    """An integer setting is minutes or seconds added to now: whatever is accepted must not overflow or spin."""
    try:
        config = load_config(environ={}, overrides={key: value})
    except ConfigError as error:
        assert key in str(error) and "between" in str(error)
        return
    accepted = config[key]
    assert accepted > 0
    unit = "seconds" if key.startswith("graph.poll.") else "minutes"
    assert utc_now() + timedelta(**{unit: accepted}) > utc_now()


@settings(max_examples=200, deadline=None)
@given(zone=st.text(max_size=40))
def test_every_accepted_zone_can_display_a_time(zone: str) -> None:
    try:
        config = load_config(environ={"WARROOM_TIMEZONE": zone} if zone else {})
    except ConfigError as error:
        assert str(error).startswith("environment WARROOM_TIMEZONE: timezone must be")
        assert "\n" not in str(error)
        return
    assert utc_now().astimezone(display_zone(config["timezone"])).strftime("%H:%M")

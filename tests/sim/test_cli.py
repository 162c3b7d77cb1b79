"""`warroom sim`: lists scenarios, serves one, and prints requests without passing escapes to the terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from warroom.console.cli import main
from warroom.console.text import literal


@pytest.mark.parametrize("hostile", ["\x1b[2J", "\x1b]52;c;eA==\x07", "a\x00b", "\u202eexe.txt", "\x9b2J", "\r\b"])
def test_literal_leaves_no_control_or_bidi_characters(hostile):
    shown = literal(f"title {hostile} end")
    assert shown.isprintable() and shown.isascii()
    assert "\u202e" not in shown and "\x1b" not in shown


def test_literal_keeps_ordinary_text():
    assert literal("Exchange Online — délai [bold]x[/]") == "Exchange Online — délai [bold]x[/]"


def test_sim_list_names_every_scenario(capsys):
    assert main(["sim", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("exchange-outage", "compromised-account", "sharepoint-mass-deletion", "entra-signin-outage",
                 "hostile", "bulk-alerts"):
        assert name in out


@pytest.mark.slow
def test_sim_serves_and_prints_requests_safely():
    process = subprocess.Popen(
        [sys.executable, "-m", "warroom.console.cli", "sim", "--scenario", "hostile", "--speed", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        while not any(line.startswith("Graph endpoint: ") for line in lines):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line)
        base = lines[-1].split(": ", 1)[1].strip()
        answer = httpx.get(f"{base}/security/alerts_v2", params={"$filter": "title eq '\x1b[2J\x07'"},
                           headers={"Authorization": "Bearer t"})
        assert answer.status_code == 200
        printed = ""
        while "alerts_v2" not in printed:
            printed += process.stdout.readline()
        assert "\x1b" not in printed and "\\x1b[2J" in printed
        while "---- add alerts" not in printed:  # the T+10s event, reached after half a second at speed 20
            printed += process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sim_check_validates_a_file(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text('[scenario]\nname = "x"\ntitle = "X"\ncategory = "data-loss"\ndescription = "d"\n'
                    'tenant = "contoso.com"\n[[users]]\nuserPrincipalName = "a@contoso.com"\n')
    assert main(["sim", "--check", str(good)]) == 0
    assert "ok: x (data-loss), 1 users" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace("userPrincipalName", "upn"))
    assert main(["sim", "--check", str(bad)]) == 1
    assert f"{bad}:7: users #1: missing required field 'userPrincipalName'" in capsys.readouterr().err

"""`warroom notify` end to end: a real process, a real SMTP server and webhook receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from warroom.console.journal import kinds, open_journal

from .conftest import SMTP_PASSWORD, WEBHOOK_TOKEN, environ_for, routing_config, write_config

WARROOM = Path(sys.executable).parent / "warroom"
INCIDENT = "INC-20261204-01"


def declare(journal: Path, **body) -> None:
    async def write() -> None:
        async with await open_journal(journal) as opened:
            await opened.append(kinds.INCIDENT_DECLARED, {"title": "Mail delayed", "category": "service-outage",
                                                          "services": ["Exchange Online"], **body},
                                incident=INCIDENT)
            await opened.append(kinds.INCIDENT_SEVERITY, {"severity": "SEV2"}, incident=INCIDENT)

    asyncio.run(write())


def entries(journal: Path):
    async def read():
        async with await open_journal(journal, readonly=True) as opened:
            return await opened.entries()

    return asyncio.run(read())


def warroom(tmp_path: Path, config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, **env, "WARROOM_JOURNAL": str(tmp_path / "journal.db"),
               "WARROOM_CONFIG": str(config)}
    return subprocess.run([str(WARROOM), *args], capture_output=True, text=True, timeout=120, env=environ)


@pytest.fixture
def setup(tmp_path, smtp_server, http_receiver):
    config = write_config(tmp_path, routing_config(tmp_path, smtp_server, http_receiver,
                                                   extra="[comms]\nretry_backoff_seconds = 0.05\n"))
    declare(tmp_path / "journal.db")
    return tmp_path, config, environ_for(http_receiver), smtp_server, http_receiver


def test_without_send_it_prints_the_draft_and_names_what_to_fill(setup):
    tmp_path, config, env, smtp, hook = setup
    done = warroom(tmp_path, config, env, "notify", INCIDENT, "--audience", "stakeholders")
    assert done.returncode == 0, done.stderr
    assert "To: it-leads@example.com, ciso@example.com" in done.stdout
    assert "Channels: relay, chat, page" in done.stdout
    assert f"Subject: [{INCIDENT}] [SEV2] INCIDENT NOTIFICATION: Mail delayed" in done.stdout
    assert "[immediate steps]" in done.stderr and not smtp.messages and not hook.requests


def test_a_draft_with_placeholders_is_refused_naming_each(setup):
    tmp_path, config, env, smtp, hook = setup
    done = warroom(tmp_path, config, env, "notify", INCIDENT, "--audience", "stakeholders", "--send")
    assert done.returncode == 2
    assert "[immediate steps]" in done.stderr and "[precautions]" in done.stderr
    assert "[SEV2]" not in done.stderr
    assert not smtp.messages and not hook.requests
    assert not [e for e in entries(tmp_path / "journal.db") if e.kind.startswith("comms.")]


def test_send_with_a_text_file_delivers_and_prints_one_line_per_channel(setup):
    tmp_path, config, env, smtp, hook = setup
    text = tmp_path / "notice.txt"
    text.write_text("Mail to external recipients is delayed. [We will say more at 15:00.]\n", encoding="utf-8")
    hook.script = [(503, {})]        # once: retried
    done = warroom(tmp_path, config, env, "notify", INCIDENT, "--audience", "stakeholders", "--text-file",
                   str(text), "--send")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.strip().startswith("relay (smtp): delivered: 250") for line in lines), done.stdout
    assert any(line.strip().startswith("chat (webhook): delivered after 2 attempts: HTTP 200") for line in lines)
    assert any(line.strip().startswith("page (statuspage): delivered") for line in lines)
    assert len(smtp.messages) == 1 and len(hook.requests) == 2
    sent = [e for e in entries(tmp_path / "journal.db") if e.kind == kinds.COMMS_SENT]
    assert len(sent) == 1 and sent[0].body["text"] == text.read_text(encoding="utf-8")
    everything = json.dumps([e.body for e in entries(tmp_path / "journal.db")]) + done.stdout + done.stderr
    assert SMTP_PASSWORD not in everything and WEBHOOK_TOKEN not in everything


def test_a_failing_channel_exits_non_zero_and_the_others_deliver(setup):
    tmp_path, config, env, smtp, hook = setup
    smtp.refuse_data = True
    text = tmp_path / "notice.txt"
    text.write_text("Mail is delayed.\n", encoding="utf-8")
    done = warroom(tmp_path, config, env, "notify", INCIDENT, "--audience", "stakeholders", "--kind", "progress",
                   "--text-file", str(text), "--send")
    assert done.returncode == 1
    assert "relay (smtp): FAILED" in done.stdout and "554" in done.stdout
    assert "chat (webhook): delivered" in done.stdout and len(hook.requests) == 1
    [sent] = [e for e in entries(tmp_path / "journal.db") if e.kind == kinds.COMMS_SENT]
    assert sent.body["failed"] == ["relay"] and sent.body["update_kind"] == "progress"


def test_config_shows_channels_without_secrets(setup):
    tmp_path, config, env, _, _ = setup
    done = warroom(tmp_path, config, env, "config")
    assert done.returncode == 0, done.stderr
    assert "channel relay: SMTP 127.0.0.1" in done.stdout and "channel chat: webhook (json)" in done.stdout
    assert "audience stakeholders: to it-leads@example.com, ciso@example.com through relay, chat, page" in \
        done.stdout
    assert SMTP_PASSWORD not in done.stdout and WEBHOOK_TOKEN not in done.stdout


def test_a_missing_secret_stops_the_command_with_file_and_line(setup):
    tmp_path, config, _, _, _ = setup
    done = warroom(tmp_path, config, {}, "notify", INCIDENT, "--audience", "stakeholders")
    assert done.returncode == 2
    assert f"{config}, line 8: channels.relay.password_env names WARROOM_SMTP_PASSWORD, which is not set" in \
        done.stderr

"""What a responder sees after sending: each channel's result above the buttons, at 80x24 and 160x48."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.journal import Draft, kinds
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.console.session import WarRoom

from ..response.harness import GuidedTestApp
from ..response.pilot_steps import fill_placeholders, settle
from ..response.test_snapshots import NOW, fixed_clock
from .conftest import environ_for, write_config


async def _room(tmp_path: Path, environ: dict[str, str]) -> WarRoom:
    config_file = write_config(tmp_path, '[channels.chat]\nkind = "webhook"\nurl_env = "WARROOM_CHAT_WEBHOOK"\n'
                                         'format = "teams"\n[audiences.stakeholders]\nchannels = ["chat"]\n')
    warroom = await WarRoom.open(load_config(config_file, overrides={"journal": str(tmp_path / "j.db")},
                                             environ=environ), mode="OFFLINE")
    declared = NOW - timedelta(minutes=20)
    drafts = declaration("INC-20261124-01", title="Outbound mail delayed for all users", category="service-outage",
                         services=["Exchange Online"], roles={"incident_commander": "alice"},
                         library=PlaybookLibrary.load())
    drafts = [dataclasses.replace(d, occurred_at=declared) for d in drafts]
    drafts.append(Draft(kinds.INCIDENT_SEVERITY, {"severity": "SEV2"}, "INC-20261124-01", None, declared))
    await warroom.record_many(drafts)
    return warroom


async def _send(pilot) -> None:
    await settle(pilot)
    await fill_placeholders(pilot, "call the service desk")
    await pilot.press("f2")
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_the_result_of_each_channel_is_where_the_eye_is(snap_compare, tmp_path, http_receiver, size):
    warroom = asyncio.run(_room(tmp_path, environ_for(http_receiver)))
    try:
        app = GuidedTestApp(warroom, "communicate", clock=fixed_clock)
        assert snap_compare(app, terminal_size=size, run_before=_send)
    finally:
        asyncio.run(warroom.close())
    assert len(http_receiver.requests) == 1


@pytest.mark.parametrize("size", [(80, 24)], ids=["80x24"])
def test_the_send_question_names_audience_recipients_and_channels(snap_compare, tmp_path, http_receiver, size):
    warroom = asyncio.run(_room(tmp_path, environ_for(http_receiver)))

    async def ask(pilot) -> None:
        await settle(pilot)
        await fill_placeholders(pilot, "call the service desk")
        await pilot.press("f2")
        await settle(pilot)

    try:
        app = GuidedTestApp(warroom, "communicate", clock=fixed_clock)
        assert snap_compare(app, terminal_size=size, run_before=ask)
    finally:
        asyncio.run(warroom.close())
    assert not http_receiver.requests

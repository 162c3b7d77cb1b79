"""One action, one request, both ends journaled; the preview is the request; files are read off the event loop."""

from __future__ import annotations

import json
import threading

from warroom.console import comms, metrics
from warroom.console.journal import kinds
from warroom.console.playbooks import PlaybookLibrary
from warroom.console.sim.faults import Fault

from ..waiting import until
from .harness import GuidedTestApp
from .pilot_steps import (
    MEGAN,
    bodies,
    choose,
    compromised,
    confirm_with,
    declare_compromise,
    message,
    opened,
    settle,
    type_into,
    writes,
)


async def test_f2_twice_during_a_slow_action_sends_once_and_journals_request_and_outcome(room):
    tenant, warroom, incident, app = await compromised(room, "contain")
    tenant.add_fault(Fault("slow", "users", method="PATCH", delay=1.0))
    async with opened(app, (120, 60)) as pilot:
        await type_into(pilot, "#contain-confirm", MEGAN)
        await pilot.press("f2")
        await until(None, lambda: writes(tenant))            # the PATCH is on the wire, its answer 1 s away
        entries = await warroom.journal.entries(incident=incident.id)
        assert [a["result"] for a in bodies(entries, kinds.ACTION)] == ["requested"]   # journaled before sending
        await type_into(pilot, "#contain-confirm", MEGAN)
        await pilot.press("f2")                          # the binding, not the (disabled) button
        await pilot.pause()
        app.screen.action_execute()                      # and the action itself, as the button would call it
        assert "already running" in message(pilot)
        await pilot.press("escape")                      # leaving would cancel it: refused too
        app.screen.action_back()
        assert "wait for its result" in message(pilot) and not app.results
        await settle(pilot)
        assert "done" in message(pilot)
    assert [(r.method, r.body) for r in writes(tenant)] == [("PATCH", {"accountEnabled": False})]
    requested, outcome = bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)
    assert requested["result"] == "requested" and outcome["result"] == "ok"
    assert requested["request"] == outcome["request"] and outcome["request_id"]
    assert warroom.book.incidents[incident.id].unsettled == {}      # the answer names its request: settled


async def test_confirm_compromised_previews_the_real_body_and_sends_exactly_it(room):
    tenant, warroom, incident, app = await compromised(room, "contain")
    async with opened(app, (120, 60)) as pilot:
        await choose(pilot, "#contain-action", "confirm_compromised")
        await settle(pilot)
        assert not writes(tenant)                        # looking the id up is a GET
        preview = str(app.screen.query_one("#contain-preview").render())
        assert "<object id" not in preview
        [shown] = [line.removeprefix("Body: ") for line in preview.splitlines() if line.startswith("Body: ")]
        user_id = tenant.requests[-1]
        assert user_id.method == "GET" and user_id.path == f"/v1.0/users/{MEGAN}" and "id" in user_id.query["$select"]
        assert "done" in await confirm_with(pilot, "#contain-confirm", MEGAN)
    [post] = writes(tenant)
    assert post.path == "/v1.0/identityProtection/riskyUsers/confirmCompromised"
    assert json.dumps(post.body, ensure_ascii=False, separators=(",", ":")) == shown
    outcome = bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)[-1]
    assert outcome["request"]["body"] == shown and shown == json.dumps({"userIds": [outcome["before"]["id"]]},
                                                                       separators=(",", ":"))


async def test_confirm_compromised_for_an_unknown_user_sends_nothing(room):
    ghost = "ghost@contoso.onmicrosoft.com"
    tenant, _warroom, _incident, app = await compromised(room, "contain", upn=ghost)
    async with opened(app, (120, 60)) as pilot:
        await choose(pilot, "#contain-action", "confirm_compromised")
        await settle(pilot)
        assert "was not found (404)" in str(app.screen.query_one("#contain-preview").render())
        assert "needs the user's object id" in await confirm_with(pilot, "#contain-confirm", ghost)
    assert writes(tenant) == []


async def test_the_mode_line_names_settings_that_exist(room):
    _tenant, _warroom, _incident, app = await compromised(room, "contain", settings={"dry_run": True})
    async with opened(app, (120, 60)):
        line = str(app.screen.query_one("#contain-mode").render())
    assert "--dry-run" not in line and "dry_run" in line and "WARROOM_DRY_RUN" in line


async def test_files_are_read_and_written_off_the_event_loop(offline_room, monkeypatch, tmp_path):
    """Playbooks, templates, the checklist and a saved message: each in a worker thread, not on the loop."""
    await declare_compromise(offline_room)
    on_loop: list[str] = []

    def watched(name, real):
        def call(*args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                on_loop.append(name)
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(PlaybookLibrary, "load", watched("playbooks", PlaybookLibrary.load))
    monkeypatch.setattr(comms, "load_templates", watched("templates", comms.load_templates))
    monkeypatch.setattr(comms, "save", watched("save", comms.save))
    monkeypatch.setattr("warroom.screens.close.load_checklist", watched("checklist", metrics.load_checklist))
    offline_room.config.values["comms.folder"] = str(tmp_path / "messages")
    for step in ("declare", "communicate", "close"):
        app = GuidedTestApp(offline_room, step)
        async with opened(app, (120, 60)) as pilot:
            if step == "communicate":
                await pilot.press("f4")
                await settle(pilot)
                assert "Saved to" in message(pilot)
            if step == "close":
                assert app.screen.query("#review-lessons_learned")
    assert on_loop == []
    assert list((tmp_path / "messages").glob("*.txt"))

"""Containment is deliberate: typed UPN, dry run, read-only, and failures (404, 403, 429) reported once,
journaled, and never retried. Checked on the requests the simulated tenant received."""

from __future__ import annotations

import pytest
from warroom.console.journal import kinds
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.console.sim.faults import Fault
from warroom.console.timefmt import utc_now

from .harness import GuidedTestApp
from .pilot_steps import bodies, choose, message, opened, settle, type_into, writes

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


async def _declare(warroom):
    drafts = declaration(warroom.book.new_id(utc_now()), title="Megan compromised", category="security-incident",
                         services=[],
                         roles={"incident_commander": "ann"}, library=PlaybookLibrary.load())
    await warroom.record_many(drafts)
    return warroom.incident


async def _run(warroom, upn: str, typed: str, *, action: str = "block_sign_in", dry_run: bool | None = None):
    app = GuidedTestApp(warroom, "contain", upn=upn)
    async with opened(app, (120, 60)) as pilot:
        await choose(pilot, "#contain-action", action)
        if dry_run is not None:
            app.screen.query_one("#contain-dry-run").value = dry_run
        if typed:
            await type_into(pilot, "#contain-confirm", typed)
        await pilot.press("f2")
        await settle(pilot)
        return message(pilot)


async def _actions(warroom, incident):
    return bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)


async def test_a_wrong_or_missing_confirmation_sends_nothing(room):
    tenant, warroom = await room("compromised-account")
    incident = await _declare(warroom)
    assert "Type the UPN exactly" in await _run(warroom, MEGAN, "")
    assert "Type the UPN exactly" in await _run(warroom, MEGAN, "megan.bowen@contoso.com")
    assert writes(tenant) == [] and await _actions(warroom, incident) == []


async def test_an_unknown_user_is_named_and_nothing_is_sent(room):
    tenant, warroom = await room("compromised-account")
    incident = await _declare(warroom)
    ghost = "ghost@contoso.onmicrosoft.com"
    text = await _run(warroom, ghost, ghost)
    assert f"User {ghost} was not found (404)" in text
    assert writes(tenant) == []
    [action] = await _actions(warroom, incident)
    assert action["result"] == "failed" and action["status"] == 404 and action["before"] is None


async def test_a_403_names_the_missing_permission_and_is_sent_once(room):
    tenant, warroom = await room("compromised-account")
    incident = await _declare(warroom)
    tenant.add_fault(Fault("forbidden", "users", method="PATCH"))
    text = await _run(warroom, MEGAN, MEGAN)
    assert "Forbidden (403)" in text and "User.EnableDisableAccount.All" in text
    assert len(writes(tenant)) == 1
    requested, action = await _actions(warroom, incident)
    assert requested["result"] == "requested" and requested["request"] == action["request"]
    assert action["result"] == "failed" and action["status"] == 403 and "after" not in action


async def test_a_429_during_an_action_is_reported_and_not_retried(room):
    tenant, warroom = await room("compromised-account")
    incident = await _declare(warroom)
    tenant.add_fault(Fault("throttle", "users", method="POST", retry_after=7))
    text = await _run(warroom, MEGAN, MEGAN, action="revoke_sessions")
    assert "Throttled (429)" in text and "NOT retried" in text and "7 s" in text
    assert [r.path for r in writes(tenant)] == [f"/v1.0/users/{MEGAN}/revokeSignInSessions"]
    requested, action = await _actions(warroom, incident)
    assert requested["result"] == "requested"
    assert action["result"] == "failed" and action["status"] == 429


async def test_dry_run_journals_the_request_without_sending_it(room):
    tenant, warroom = await room("compromised-account")
    incident = await _declare(warroom)
    text = await _run(warroom, MEGAN, MEGAN, dry_run=True)
    assert "Not sent (dry run)" in text
    assert writes(tenant) == []
    [action] = await _actions(warroom, incident)
    assert action["result"] == "dry-run" and action["request"]["body"] == '{"accountEnabled":false}'


@pytest.mark.parametrize("settings", [{"read_only": True}, {"dry_run": True}])
async def test_read_only_and_dry_run_settings_disable_execution(room, settings):
    tenant, warroom = await room("compromised-account", **settings)
    incident = await _declare(warroom)
    text = await _run(warroom, MEGAN, MEGAN)
    assert "Not sent" in text
    assert writes(tenant) == []
    assert [a["result"] for a in await _actions(warroom, incident)] == ["dry-run"]


async def test_a_user_read_without_an_object_id_is_not_found(room):
    """Graph answering a user without its id: a typed GraphNotFound the Contain screen explains, not a TypeError."""
    from warroom.console import containment
    from warroom.console.graph.errors import GraphNotFound

    from ..graph.helpers import update_object

    tenant, warroom = await room("compromised-account")
    update_object(tenant, "users", MEGAN, {"id": None})
    with pytest.raises(GraphNotFound, match=f"no object id for {MEGAN}") as raised:
        await containment.lookup_user_id(warroom.gateway, MEGAN)
    assert raised.value.status == 404

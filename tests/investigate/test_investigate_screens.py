"""The Investigate and Hunt screens on the simulated tenant: found, previewed, removed once, journaled."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Select
from warroom.console.journal import kinds
from warroom.console.sim.faults import Fault
from warroom.console.subject import NOTHING

from ..response.harness import GuidedTestApp
from ..response.pilot_steps import (
    MEGAN,
    bodies,
    compromised,
    confirm_with,
    message,
    opened,
    press_and_settle,
    type_into,
    writes,
)
from ..waiting import until

HOSTILE = "Rule\x1b[2J\x1b]0;owned\x07 [bold red]x[/] \u202eevil"


async def _choose(pilot, text: str) -> None:
    options = pilot.app.screen.query_one("#investigate-items", OptionList)
    index = next(i for i in range(options.option_count) if text in str(options.get_option_at_index(i).prompt))
    options.focus()
    options.highlighted = index
    await pilot.press("enter")
    await pilot.pause()


def _lines(pilot) -> list[str]:
    options = pilot.app.screen.query_one("#investigate-items", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_investigate_flags_and_removes_the_forwarding_rule(room):
    tenant, warroom, incident, app = await compromised(room, "investigate")
    async with opened(app, (80, 24)) as pilot:
        lines = _lines(pilot)
        assert lines[0].startswith("! ") and any("'Payroll'" in line and "forwards to" in line for line in lines)
        assert not any(line.startswith("! ") and "Newsletters" in line for line in lines)
        assert "4 flagged" in message(pilot)
        summary = str(app.screen.query_one("#investigate-summary").render())
        assert "not checked: needs Exchange Online PowerShell" in summary
        await _choose(pilot, "'Payroll'")
        preview = str(app.screen.query_one("#investigate-preview").render())
        assert "DELETE http://127.0.0.1" in preview and "messageRules" in preview
        assert "Type megan.bowen" in await confirm_with(pilot, "#investigate-confirm", "someone@else")
        assert writes(tenant) == []
        assert "done" in await confirm_with(pilot, "#investigate-confirm", MEGAN)
        await until(pilot, lambda: not any("'Payroll'" in line for line in _lines(pilot)),
                    "the removed rule to leave the list")
    [delete] = writes(tenant)
    assert delete.method == "DELETE" and "messageRules" in delete.path
    actions = bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)
    assert [a["result"] for a in actions] == ["requested", "ok"] and actions[0]["before"]["displayName"] == "Payroll"
    task = next(t for t in warroom.book.incidents[incident.id].tasks.values() if t.action == "delete_inbox_rule")
    assert task.status == "done"


async def test_a_password_reset_is_shown_once_on_screen_only(room):
    tenant, warroom, incident, app = await compromised(room, "investigate")
    async with opened(app, (120, 50)) as pilot:
        await _choose(pilot, "reset the password")
        assert "shown once to the responder, never recorded" in str(app.screen.query_one("#investigate-preview")
                                                                     .render())
        await confirm_with(pilot, "#investigate-confirm", MEGAN)
        shown = str(app.screen.query_one("#investigate-secret").render())
    [patch] = writes(tenant)
    secret = patch.body["passwordProfile"]["password"]
    assert secret in shown and "shown once" in shown
    entries = await warroom.journal.entries(incident=incident.id)
    assert all(secret not in str(e.body) for e in entries)


async def test_a_403_during_a_removal_names_the_permission(room):
    tenant, _warroom, _incident, app = await compromised(room, "investigate")
    tenant.add_fault(Fault("forbidden", "oauth2PermissionGrants", method="DELETE"))
    async with opened(app, (120, 50)) as pilot:
        await _choose(pilot, "consent to 'eM Client'")
        assert "lacks DelegatedPermissionGrant.ReadWrite.All" in await confirm_with(pilot, "#investigate-confirm",
                                                                                    MEGAN)
    assert len(writes(tenant)) == 1


async def test_hostile_rule_and_app_names_render_literally(room):
    from ..graph.helpers import add_objects

    tenant, warroom = await room("compromised-account")
    add_objects(tenant, "messageRules", [{"userPrincipalName": MEGAN, "displayName": HOSTILE,
                                          "actions": {"delete": True}}])
    app = GuidedTestApp(warroom, "investigate", upn=MEGAN)
    async with opened(app, (120, 50)) as pilot:
        line = next(line for line in _lines(pilot) if "Rule" in line)
        assert "[bold red]x[/]" in line and "\x1b" not in line and "\u202e" not in line


async def test_hunt_runs_a_saved_query_and_attaches_it(room):
    tenant, warroom, incident, app = await compromised(room, "hunt", subject=NOTHING)
    async with opened(app, (80, 24)) as pilot:
        app.screen.query_one("#hunt-saved", Select).value = "sign-ins-from-ip"
        await pilot.pause()
        step = next(t.id for t in incident.tasks.values() if t.step == "threat-hunting")
        assert f"for the open task(s) {step}" in str(app.screen.query_one("#hunt-description").render())
        assert "2 row(s)" in await confirm_with(pilot, "#hunt-params", "ip=185.220.101.47")
        table = app.screen.query_one("#hunt-results", DataTable)
        assert table.row_count == 2 and "AccountUpn" in [str(c.label) for c in table.columns.values()]
        assert "Attached to" in await press_and_settle(pilot, "f3")
    entries = await warroom.journal.entries(incident=incident.id)
    assert [e.kind for e in entries if e.kind in (kinds.HUNT, kinds.EVIDENCE)] == [kinds.HUNT, kinds.EVIDENCE]
    [post] = [r for r in tenant.requests if r.method == "POST"]
    assert 'IPAddress == "185.220.101.47"' in post.body["Query"]


async def test_hunt_results_render_literally_and_a_429_is_explained(room):
    from ..graph.helpers import add_objects

    tenant, warroom = await room("compromised-account")
    add_objects(tenant, "hunting", [{"table": "EmailEvents", "Subject": HOSTILE}])
    app = GuidedTestApp(warroom, "hunt")
    async with opened(app, (120, 40)) as pilot:
        await confirm_with(pilot, "#hunt-kql", "EmailEvents | where Subject has 'Rule'")
        table = app.screen.query_one("#hunt-results", DataTable)
        cell = str(table.get_row_at(0)[list(table.columns).index("Subject")])
        assert "[bold red]x[/]" in cell and "\x1b" not in cell and "\u202e" not in cell
        tenant.add_fault(Fault("throttle", "security/runHuntingQuery", retry_after=9))
        said = await press_and_settle(pilot)
        assert "Throttled (429)" in said and "9 s" in said
    assert len([r for r in tenant.requests if r.method == "POST"]) == 2


async def test_a_deleted_group_is_restored_by_typing_its_name(room):
    tenant, warroom, incident, app = await compromised(room, "investigate")
    async with opened(app, (120, 50)) as pilot:
        assert "1 deleted user(s) and group(s)" in await press_and_settle(pilot, "f6")
        await _choose(pilot, "restore deleted group 'Finance approvals'")
        assert "Type Finance approvals exactly" in await confirm_with(pilot, "#investigate-confirm", MEGAN)
        assert writes(tenant) == []
        assert "done for Finance approvals" in await confirm_with(pilot, "#investigate-confirm", "Finance approvals")
    [post] = writes(tenant)
    assert post.path == "/v1.0/directory/deletedItems/c1a2b3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d/restore"
    done = bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)[-1]
    assert done["result"] == "ok" and done["after"]["displayName"] == "Finance approvals"


async def test_defender_write_back_updates_and_comments_an_incident(room):
    tenant, warroom, incident, app = await compromised(room, "defender", defender_incident_id="4217")
    async with opened(app, (80, 24)) as pilot:
        app.screen.query_one("#defender-status", Select).value = "resolved"
        app.screen.query_one("#defender-classification", Select).value = "truePositive"
        app.screen.query_one("#defender-determination", Select).value = "compromisedAccount"
        await pilot.pause()
        preview = str(app.screen.query_one("#defender-preview").render())
        assert "PATCH http://127.0.0.1" in preview and '"status":"resolved"' in preview
        assert "Type 4217 exactly" in await press_and_settle(pilot) and writes(tenant) == []
        assert "done for 4217" in await confirm_with(pilot, "#defender-confirm", "4217")
        await type_into(pilot, "#defender-comment", "Contained: [b]inbox rule[/b] removed")
        tenant.add_fault(Fault("throttle", "security/incidents", method="POST", count=1, retry_after=5))
        assert "Throttled (429)" in await confirm_with(pilot, "#defender-confirm", "4217", "f3")
        assert "done for 4217" in await confirm_with(pilot, "#defender-confirm", "4217", "f3")
    patch, refused, post = writes(tenant)
    assert patch.method == "PATCH" and patch.body == {"status": "resolved", "classification": "truePositive",
                                                      "determination": "compromisedAccount"}
    assert refused.status == 429 and post.status == 200
    assert post.body == {"@odata.type": "microsoft.graph.security.alertComment",
                         "comment": "Contained: [b]inbox rule[/b] removed"}
    entries = await warroom.journal.entries(incident=incident.id)
    done = [b for b in bodies(entries, kinds.ACTION) if b["result"] != "requested"]
    assert [(b["action"], b["result"]) for b in done] == [("update_incident", "ok"), ("comment_incident", "failed"),
                                                          ("comment_incident", "ok")]
    assert done[0]["before"]["status"] == "active" and done[0]["after"]["status"] == "resolved"

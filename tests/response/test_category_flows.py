"""Service outage, data loss and business continuity end to end: declare (from Microsoft's issue or an alert),
the category's and the services' playbook tasks with recovery options, assess, notify, close. Nothing of
this may change the tenant: only GETs reach it."""

from __future__ import annotations

import pytest
from textual.widgets import SelectionList
from warroom.console.journal import kinds

from .harness import GuidedTestApp
from .pilot_steps import bodies, choose, fill_placeholders, message, opened, settle, shown, type_into, writes

CASES = {
    "service-outage": dict(
        scenario="exchange-outage", context={"issue_id": "EX1195342"}, services=[], options={},
        expect_tasks=["Exchange mail flow", "Exchange Online recovery: Alternative access: Outlook on the web"],
        audience="stakeholders", expect_text=["INCIDENT NOTIFICATION", "EX1195342"]),
    "data-loss": dict(
        scenario="sharepoint-mass-deletion", context={"alert_id": "ca1b2c3d4e5f60718293a4b5c6d7e8f90"},
        services=["SharePoint Online"], options={},
        expect_tasks=["SharePoint Online recovery: Restore items from the site recycle bin",
                      "SharePoint Online recovery: Version history", "Data validation"],
        audience="users", expect_text=["What is happening", "What you should do"]),
    "business-continuity": dict(
        scenario="entra-signin-outage", context={"issue_id": "MO1201566"}, services=["Microsoft Entra"],
        options={"start_at": 300},
        expect_tasks=["Service failover", "Microsoft Entra recovery: Alternative access: emergency access"],
        audience="management", expect_text=["MANAGEMENT BRIEFING", "MO1201566"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("category", list(CASES))
async def test_category_from_declaration_to_close(room, category):
    case = CASES[category]
    tenant, warroom = await room(case["scenario"], tenant_options=case["options"])

    app = GuidedTestApp(warroom, "declare", **case["context"])
    async with opened(app, (120, 60)) as pilot:
        await choose(pilot, "#declare-category", category)
        services = app.screen.query_one("#declare-services", SelectionList)
        for name in case["services"]:
            services.select(name)
        await pilot.press("f2")
        await settle(pilot)
    incident = warroom.incident
    assert incident is not None and incident.category == category
    assert incident.playbook == category
    context = case["context"]
    expected_link = ("service_issue", context["issue_id"]) if "issue_id" in context else ("alert", context["alert_id"])
    assert [(link["type"], link["id"]) for link in incident.links] == [expected_link]
    texts = [t.text for t in incident.tasks.values()]
    for expected in case["expect_tasks"]:
        assert any(expected in text for text in texts), expected
    recovery = [t for t in texts if " recovery: " in t]
    assert recovery and all("Verify: " in t for t in recovery)

    app = GuidedTestApp(warroom, "assess")
    async with opened(app, (120, 60)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
    assert incident.severity in ("SEV1", "SEV2", "SEV3", "SEV4")
    assert incident.details["impact"]["affected_services"]

    app = GuidedTestApp(warroom, "communicate")
    async with opened(app, (120, 50)) as pilot:
        await choose(pilot, "#communicate-audience", case["audience"])
        await settle(pilot)
        await fill_placeholders(pilot)
        await pilot.press("f8")     # no channel configured: delivered by hand, recorded as sent
        await settle(pilot)
    sent = bodies(await warroom.journal.entries(incident=incident.id), kinds.COMMS_SENT)
    assert [s["audience"] for s in sent] == [case["audience"]]
    for expected in case["expect_text"]:
        assert expected in sent[0]["text"]
    issue = warroom.live.issues.get(context.get("issue_id", ""))
    if issue is not None and issue.posts:     # Microsoft's newest post, as Microsoft wrote it
        assert " ".join(issue.posts_newest_first()[0].text.split())[:80] in sent[0]["text"]

    app = GuidedTestApp(warroom, "close")
    async with opened(app, (120, 60)) as pilot:
        metrics = shown(pilot, "#close-metrics")
        if category == "service-outage":      # Exchange is still degraded in the scenario: not restored yet
            assert "(service restored): not met" in metrics
        await type_into(pilot, "#review-timeline", "complete")
        await type_into(pilot, "#close-summary", "Recovered")
        await pilot.press("f2")
        await settle(pilot)
        still_open = [t.id for t in incident.tasks.values() if not t.done]
        assert "task(s) still open: " + still_open[0] in message(pilot) and incident.is_open
        await pilot.press("f2")
        await settle(pilot)
        assert app.results == [incident.id], message(pilot)
    assert not incident.is_open
    assert writes(tenant) == []

"""Declare starts from the selected object: it names it, and pre-selects its services and likely category."""

from __future__ import annotations

from textual.widgets import Select, SelectionList
from warroom.console.subject import resolve

from .harness import GuidedTestApp
from .pilot_steps import opened


def _form(app: GuidedTestApp) -> tuple[str, str, set[str]]:
    screen = app.screen
    return (str(screen.query_one("#declare-source").render()), str(screen.query_one("#declare-category", Select).value),
            set(screen.query_one("#declare-services", SelectionList).selected))


async def test_declaring_from_a_risky_user_names_it(room):
    _tenant, warroom = await room("compromised-account")
    user = next(u for u in warroom.live.risky_users.values() if u.risk_state == "atRisk")
    app = GuidedTestApp(warroom, "declare", resolve(warroom.live, "risky_user", user.id))
    async with opened(app, (120, 60)):
        source, category, services = _form(app)
    assert f"From risky user {user.upn}" in source and "nothing" not in source
    assert category == "security-incident" and "Microsoft Entra" in services


async def test_declaring_from_a_defender_incident_about_a_sharepoint_site(room):
    _tenant, warroom = await room("sharepoint-mass-deletion")
    app = GuidedTestApp(warroom, "declare", resolve(warroom.live, "incident", "9031"))
    async with opened(app, (120, 60)):
        source, category, services = _form(app)
    assert source.startswith("From Defender incident 9031: Mass file deletion")
    assert category == "data-loss" and "SharePoint Online" in services


async def test_declaring_from_a_microsoft_issue_ticks_every_workload_it_affects(room):
    _tenant, warroom = await room("entra-signin-outage", tenant_options={"start_at": 300})
    issue = next(i for i in warroom.live.issues.values() if i.service == "Microsoft 365 suite")
    app = GuidedTestApp(warroom, "declare", resolve(warroom.live, "service_issue", issue.id))
    async with opened(app, (120, 60)):
        _source, category, services = _form(app)
    assert category == "service-outage"
    assert {"Microsoft 365 suite", "Microsoft Teams", "Exchange Online", "SharePoint Online"} <= services

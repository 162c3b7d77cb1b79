"""Playbooks: every seed category, step, recovery option and service consideration has a home, and a
malformed file is refused with its file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console.incidents import CATEGORIES
from warroom.console.playbooks import PlaybookError, PlaybookLibrary, declaration, handoff, parse_playbook

SERVICES = ("Exchange Online", "SharePoint Online", "Microsoft Teams", "Microsoft Entra")
# What the seed procedures name, by category: each must appear in a step of that playbook.
SEED_STEPS = {
    "service-outage": ["Incident assessment", "Impact analysis", "Service stabilisation", "Resource allocation",
                       "Communication initiation", "root cause", "service dependencies", "Verify service status",
                       "Progress tracking", "alternative access and workarounds"],
    "security-incident": ["Threat containment", "Access control", "Evidence preservation", "enhanced monitoring",
                          "Impact limitation", "Log analysis", "Threat hunting", "Attack vectors",
                          "Evidence collection", "Root cause analysis", "data exposure"],
    "data-loss": ["Data preservation", "Scope assessment", "Recovery planning", "backup restoration",
                  "point-in-time recovery", "Service reconstruction", "Data validation", "Access restoration"],
    "business-continuity": ["Service failover", "Alternative access", "Data preservation", "Business resumption",
                            "Regular testing", "External vendors"],
}
SERVICE_TOPICS = {
    "Exchange Online": ["mail flow", "database", "access problems"],
    "SharePoint Online": ["site collection", "content emergencies", "permission problems"],
    "Microsoft Teams": ["meeting disruptions", "communication issues", "integration problems"],
    "Microsoft Entra": ["authentication emergencies", "access issues", "directory problems"],
}


@pytest.fixture(scope="module")
def library() -> PlaybookLibrary:
    return PlaybookLibrary.load()


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_has_a_playbook_with_the_seed_steps(library, category):
    playbook = library.for_category(category)
    assert playbook is not None
    text = " ".join(step.text for step in playbook.steps).casefold()
    for phrase in SEED_STEPS[category]:
        assert phrase.casefold() in text, phrase


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_its_considerations(library, service):
    playbook = library.for_service(service)
    assert playbook is not None and playbook.service == service
    text = " ".join(step.text for step in playbook.steps).casefold()
    for topic in SERVICE_TOPICS[service]:
        assert topic in text, topic
    assert playbook.recovery and all(option.verify for option in playbook.recovery)


def test_data_loss_recovery_options_cover_bins_versions_retention_and_restore(library):
    tasks = " ".join(b["text"] for b in library.task_bodies("data-loss", SERVICES)).casefold()
    for option in ("recycle bin", "version history", "retention", "restore", "verify:"):
        assert option in tasks
    outage = " ".join(b["text"] for b in library.task_bodies("service-outage", SERVICES)).casefold()
    assert "alternative access" in outage and "recycle bin" not in outage


def test_services_are_found_by_their_aliases(library):
    assert library.for_service("Azure Active Directory").service == "Microsoft Entra"
    assert library.for_service("OneDrive for Business").service == "SharePoint Online"
    assert library.for_service("Power BI") is None


def test_declaration_journals_roles_links_and_numbered_tasks(library):
    drafts = declaration("INC-1", title=" Mail down ", category="service-outage", services=["Exchange Online"],
                         roles={"incident_commander": "ann", "scribe": "", "microsoft_support_case": "2611240040"},
                         library=library, source={"type": "service_issue", "id": "EX1", "title": "Delays"})
    kinds_ = [d.kind for d in drafts]
    assert kinds_[:5] == ["incident.declared", "incident.role", "incident.role", "incident.linked",
                          "incident.linked"]
    assert drafts[0].body["title"] == "Mail down" and drafts[0].body["playbook"] == "service-outage"
    assert drafts[4].body == {"type": "support_case", "id": "2611240040", "title": "Microsoft support case"}
    tasks = [d.body for d in drafts if d.kind == "task.added"]
    assert [t["task_id"] for t in tasks] == [f"T{n}" for n in range(1, len(tasks) + 1)]
    assert any(t.get("check") == {"type": "service_restored"} for t in tasks)


@pytest.mark.parametrize("roles, title, reason", [
    ({"incident_commander": "ann"}, "  ", "title"),
    ({"incident_commander": ""}, "Mail down", "incident commander"),
])
def test_declaration_refuses_empty_fields(library, roles, title, reason):
    with pytest.raises(ValueError, match=reason):
        declaration("INC-1", title=title, category="data-loss", services=[], roles=roles, library=library)


def test_a_hand_off_names_the_previous_holder():
    from warroom.console.incidents import Incident
    from warroom.console.timefmt import utc_now

    incident = Incident("INC-1", "t", "data-loss", utc_now(), "ann", roles={"scribe": "bob"})
    assert handoff(incident, "scribe", "carol") == {"role": "scribe", "person": "carol", "previous": "bob"}
    assert handoff(incident, "scribe", "bob") is None
    assert handoff(incident, "communications_lead", "dan") == {"role": "communications_lead", "person": "dan"}


GOOD = """[playbook]
id = "x"
category = "data-loss"
title = "X"

[[steps]]
id = "one"
text = "Do the thing"
role = "scribe"
"""


@pytest.mark.parametrize("text, line, reason", [
    (GOOD.replace('title = "X"', 'title = "X'), 4, "invalid TOML"),
    (GOOD.replace('role = "scribe"', 'role = "janitor"'), 9, "unknown role 'janitor'"),
    (GOOD + 'action = "delete_tenant"\n', 10, "unknown action 'delete_tenant'"),
    (GOOD.replace('category = "data-loss"', 'category = "outage"'), 3, "category must be one of"),
    (GOOD + '\n[[steps]]\nid = "one"\ntext = "again"\nrole = "scribe"\n', 12, "duplicate id 'one'"),
    (GOOD.replace('text = "Do the thing"', 'text = ""'), 8, "text must be a non-empty string"),
    (GOOD + 'check = { type = "moon_phase" }\n', 10, "check must be a table"),
    (GOOD.replace("[playbook]", "[playbok]"), None, "missing the [playbook] table"),
])
def test_a_malformed_playbook_names_file_line_and_reason(text, line, reason):
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "my/playbook.toml")
    error = caught.value
    assert error.file == "my/playbook.toml" and error.line == line and reason in error.reason
    assert str(error).startswith("my/playbook.toml" + (f", line {line}: " if line else ": "))


def test_a_playbook_dropped_in_the_user_folder_needs_no_code(tmp_path: Path):
    (tmp_path / "power-bi.toml").write_text("""[playbook]
id = "power-bi"
kind = "service"
title = "Power BI considerations"
service = "Power BI"

[[steps]]
id = "refresh"
text = "Power BI: check dataset refresh failures"
role = "service_owner"
""", encoding="utf-8")
    library = PlaybookLibrary.load(tmp_path)
    tasks = library.task_bodies("service-outage", ["Power BI"])
    assert tasks[-1]["text"] == "Power BI: check dataset refresh failures" and tasks[-1]["playbook"] == "power-bi"


def test_a_malformed_user_playbook_is_skipped_with_its_path_and_line(tmp_path: Path):
    bad = tmp_path / "broken.toml"
    bad.write_text(GOOD.replace('role = "scribe"', 'role = "janitor"'), encoding="utf-8")
    library = PlaybookLibrary.load(tmp_path)
    [skipped] = library.skipped
    assert isinstance(skipped, PlaybookError) and str(skipped).startswith(f"{bad}, line 9: ")
    assert "unknown role" in str(skipped)
    assert library.for_category("security-incident") is not None


def test_live_checks_read_the_tenant_state():
    from warroom.console.graph.live import LiveState
    from warroom.console.graph.models import ServiceHealth
    from warroom.console.incidents import Incident
    from warroom.console.playbooks import check_state
    from warroom.console.timefmt import utc_now

    incident = Incident("INC-1", "t", "service-outage", utc_now(), "ann", services=["Exchange Online"])
    live = LiveState(health={"Exchange": ServiceHealth("Exchange", "Exchange Online", "serviceDegradation")})
    check = {"type": "service_restored"}
    assert check_state(check, incident, None) == "unknown"
    assert check_state(check, incident, live) == "not met"
    live.health["Exchange"] = ServiceHealth("Exchange", "Exchange Online", "serviceRestored")
    assert check_state(check, incident, live) == "met"
    assert check_state({"type": "service_restored", "service": "Microsoft Teams"}, incident, live) == "unknown"
    assert check_state(None, incident, live) is None

"""Saying the right thing to each audience: templates per audience, subjects, numbering, times, Microsoft's words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from warroom.console import comms, notify
from warroom.console.config import load_config
from warroom.console.graph.live import LiveState
from warroom.console.graph.models import ServiceIssue
from warroom.console.journal import kinds
from warroom.console.session import WarRoom
from warroom.console.timefmt import to_iso, utc_now

INCIDENT = "INC-20261204-01"
VICTIM = "alice.victim@contoso.com"


@pytest.fixture
async def compromise(tmp_path):
    config = load_config(overrides={"journal": str(tmp_path / "journal.db")})
    warroom = await WarRoom.open(config)
    await warroom.record(kinds.INCIDENT_DECLARED, {
        "title": f"Compromised account {VICTIM} (SEV1)", "category": "security-incident",
        "services": ["Exchange Online"], "source": {"type": "alert", "id": "a1"}}, incident=INCIDENT)
    await warroom.record(kinds.INCIDENT_SEVERITY, {"severity": "SEV1"}, incident=INCIDENT)
    await warroom.record(kinds.INCIDENT_UPDATED, {"changes": {"impact": {
        "user_impact": f"{VICTIM} mailbox forwarding to an outside address",
        "business_disruption": "finance approvals paused"}}}, incident=INCIDENT)
    await warroom.record(kinds.ACTION, {"action": "block_sign_in", "target": VICTIM, "result": "ok"},
                         incident=INCIDENT)
    yield warroom
    await warroom.close()


@pytest.mark.parametrize("kind", ["initial", "progress", "resolution"])
async def test_user_notices_never_name_the_account_or_a_severity(compromise, kind):
    prepared = await notify.prepare(compromise, compromise.book.incidents[INCIDENT], kind, "users")
    shown = prepared.rendered.subject + "\n" + prepared.rendered.text
    assert VICTIM not in shown and "alice" not in shown
    assert "SEV" not in shown
    assert prepared.rendered.subject.startswith(f"[{INCIDENT}] ")


async def test_every_audience_and_kind_has_its_own_text_and_names_the_incident(compromise):
    templates = comms.load_templates()
    incident = compromise.book.incidents[INCIDENT]
    texts = set()
    for template in templates.values():
        for audience in template.audiences:
            prepared = await notify.prepare(compromise, incident, template.update_kind, audience,
                                            templates=templates)
            assert INCIDENT in prepared.rendered.subject, (template.id, audience)
            texts.add(prepared.rendered.text)
    assert len(texts) >= 14       # initial, progress and resolution differ for all four audiences


async def test_management_leads_with_business_impact_decisions_and_eta(compromise):
    prepared = await notify.prepare(compromise, compromise.book.incidents[INCIDENT], "initial", "management")
    lines = [line for line in prepared.rendered.text.splitlines() if line.strip()]
    assert lines[1] == "Business impact: finance approvals paused"
    assert lines[2].startswith("Decisions needed:") and lines[3].startswith("Expected resolution:")
    assert "[decisions needed, or none]" in prepared.rendered.placeholders


async def test_technical_updates_carry_ids_and_actions(compromise):
    prepared = await notify.prepare(compromise, compromise.book.incidents[INCIDENT], "progress", "technical")
    assert f"TECHNICAL UPDATE 1 ({INCIDENT}, SEV1" in prepared.rendered.text
    assert f"block sign in for {VICTIM}" in prepared.rendered.text


async def test_next_update_by_counts_from_the_moment_of_sending(compromise):
    incident = compromise.book.incidents[INCIDENT]
    drafted_at = utc_now() - timedelta(minutes=20)
    prepared = await notify.prepare(compromise, incident, "initial", "stakeholders", now=drafted_at)
    assert prepared.rendered.next_update in prepared.rendered.text
    message = notify.outgoing(compromise, incident, prepared, "initial", "stakeholders", "s",
                              prepared.rendered.text)
    assert message.next_update_due == message.sent_at + timedelta(minutes=30)       # SEV1
    assert prepared.rendered.next_update not in message.text
    assert comms.next_update_text(incident, compromise.config, message.sent_at) in message.text


async def test_duration_counts_from_the_start_of_impact(tmp_path):
    config = load_config(overrides={"journal": str(tmp_path / "journal.db")})
    warroom = await WarRoom.open(config)
    try:
        now = utc_now()
        await warroom.record(kinds.INCIDENT_DECLARED, {
            "title": "Mail delayed", "category": "service-outage", "services": ["Exchange Online"],
            "source": {"type": "service_issue", "id": "EX1", "started": to_iso(now - timedelta(minutes=50))}},
            incident=INCIDENT, occurred_at=now - timedelta(minutes=10))
        await warroom.record(kinds.INCIDENT_LINKED, {"type": "service_issue", "id": "EX1"}, incident=INCIDENT)
        warroom.live = LiveState()
        warroom.live.issues["EX1"] = ServiceIssue.from_graph({
            "id": "EX1", "status": "serviceRestored", "startDateTime": to_iso(now - timedelta(minutes=95)),
            "posts": [{"createdDateTime": to_iso(now), "postType": "regular", "description": {"content":
                "<p>Title: Mail delays</p><p>Root cause: A configuration change to outbound routing caused "
                "connection timeouts.</p><p>Next steps: We're reviewing our change procedures.</p>"}}]})
        prepared = await notify.prepare(warroom, warroom.book.incidents[INCIDENT], "resolution", "stakeholders",
                                        now=now)
    finally:
        await warroom.close()
    assert "Duration: 1 h 35 min" in prepared.rendered.text
    assert ("Microsoft's root cause: EX1: A configuration change to outbound routing caused connection "
            "timeouts.") in prepared.rendered.text


def test_microsofts_post_is_quoted_whole_or_cut_at_a_sentence():
    short = "We're investigating. More soon."
    assert comms.quote(short) == short
    sentences = " ".join(f"Sentence number {n} says something useful." for n in range(40))
    cut = comms.quote(sentences, 200)
    assert cut.endswith("useful. […]") and len(cut) <= 210
    words = "word " * 100
    assert comms.quote(words, 52) == ("word " * 10).strip() + " […]"
    assert comms.root_cause("Status: fixed\nRoot cause: a bad change.\nNext steps: review") == "a bad change."


def test_bracketed_subjects_are_not_placeholders():
    template = comms.parse_template('[template]\nid = "x"\nupdate_kind = "progress"\n'
                                    'subject = "[SEV2] [RESOLVED] {title}"\ntext = "Do [this] and {missing}."\n',
                                    "x.toml")
    rendered = comms.render(template, "stakeholders", {"title": "T [brackets from Graph]", "incident_id": "INC-1"})
    assert rendered.subject == "[INC-1] [SEV2] [RESOLVED] T [brackets from Graph]"
    assert rendered.placeholders == ("[this]", "[missing]")
    assert comms.unfilled(rendered.text, rendered.placeholders) == ["[this]", "[missing]"]

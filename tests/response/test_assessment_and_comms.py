"""Severity scoring, notification templates and cadence, metrics and drill scoring: the headless rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from warroom.console import comms
from warroom.console.config import load_config
from warroom.console.drill import score
from warroom.console.incidents import Incident
from warroom.console.journal import Draft, kinds
from warroom.console.metrics import follow_up_body, response_metrics, updates_on_time
from warroom.console.severity import assess, validate_override
from warroom.console.timefmt import utc_now


@pytest.mark.parametrize("levels, severity", [
    ((1, 1, 1, 1), "SEV4"),
    ((2, 2, 2, 1), "SEV3"),
    ((3, 2, 3, 2), "SEV2"),
    ((4, 3, 3, 3), "SEV1"),
    ((4, 1, 1, 1), "SEV2"),   # a factor at its worst keeps the incident at SEV2 or above
])
def test_four_factors_map_to_a_severity_with_reasoning(levels, severity):
    factors = dict(zip(("service_scope", "user_impact", "business_criticality", "recovery_complexity"), levels,
                       strict=True))
    result = assess(factors)
    assert result.severity == severity
    assert f"Total {sum(levels)}/16" in result.reasoning and "Service impact scope" in result.reasoning


def test_an_override_needs_a_reason_and_keeps_the_computed_severity():
    result = assess({"service_scope": 1, "user_impact": 1, "business_criticality": 1, "recovery_complexity": 1})
    with pytest.raises(ValueError, match="say why"):
        validate_override("SEV1", "  ")
    body = result.body("SEV1", "CEO mailbox")
    assert body["severity"] == "SEV1" and body["computed"] == "SEV4" and body["override_reason"] == "CEO mailbox"
    with pytest.raises(ValueError, match="rate every factor"):
        assess({"service_scope": 1})


def test_cadence_comes_from_config(tmp_path: Path):
    config_file = tmp_path / "config.toml"
    config_file.write_text("[updates]\nsev1_minutes = 15\n", encoding="utf-8")
    config = load_config(config_file)
    assert comms.cadence_minutes(config) == {"SEV1": 15, "SEV2": 60, "SEV3": 240, "SEV4": 1440}
    declared = utc_now()
    incident = Incident("INC-1", "t", "data-loss", declared, "ann", severity="SEV1")
    assert comms.next_update_due(incident, config) == declared + timedelta(minutes=15)


def test_templates_cover_every_update_kind_and_render_placeholders():
    templates = comms.load_templates()
    assert {t.update_kind for t in templates.values()} == set(comms.UPDATE_KINDS)
    rendered = comms.render(templates["initial"], "stakeholders", {"title": "Mail down", "severity": "SEV2"})
    subject, text = rendered.subject, rendered.text
    assert subject == "[SEV2] INCIDENT NOTIFICATION: Mail down"
    for field in ("Type:", "Status: [status]", "Impact:", "Actions:", "Updates:", "Required Actions:"):
        assert field in text


def test_a_user_template_replaces_the_built_in_one(tmp_path: Path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "initial.toml").write_text(
        '[template]\nid = "initial"\nupdate_kind = "initial"\ntext = "Heads up: {title}"\n', encoding="utf-8")
    config = load_config(overrides={"comms.templates": str(folder)})
    template = comms.load_templates(config)["initial"]
    assert comms.render(template, "users", {"title": "Mail down"})[1] == "Heads up: Mail down\n"


def test_a_malformed_template_names_file_and_line(tmp_path: Path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "bad.toml").write_text('[template]\nid = "x"\nupdate_kind = "gossip"\ntext = "t"\n', encoding="utf-8")
    templates = comms.load_templates(load_config(overrides={"comms.templates": str(folder)}))
    [skipped] = templates.skipped
    assert isinstance(skipped, comms.TemplateError)
    assert str(skipped).endswith("bad.toml, line 3: update_kind must be one of " + ", ".join(comms.UPDATE_KINDS)
                                 + ", not 'gossip'")


def test_a_message_must_not_be_empty():
    with pytest.raises(ValueError, match="empty"):
        comms.sent_body("stakeholders", "initial", "subject", "  \n")


@pytest.mark.parametrize("text, owner, due, reason", [
    ("", "dave", "2026-12-01", "describe"), ("Fix", " ", "2026-12-01", "owner"), ("Fix", "dave", "soon", "YYYY"),
])
def test_a_follow_up_needs_text_owner_and_due_date(text, owner, due, reason):
    with pytest.raises(ValueError, match=reason):
        follow_up_body(text, owner, due)


async def _journal_with_times(offline_room, minutes: dict[str, int]):
    """Journal a drill response at chosen minutes after the start; return the entries."""
    start = utc_now() - timedelta(hours=3)
    at = {key: start + timedelta(minutes=value) for key, value in minutes.items()}
    inc = "INC-20260101-01"
    drafts = [Draft(kinds.DRILL_STARTED, {"scenario": "compromised-account"}, None, None, start),
              Draft(kinds.INCIDENT_DECLARED, {"title": "t", "category": "security-incident", "services": [],
                                              "source": {"type": "alert", "id": "a1",
                                                         "started": (start - timedelta(minutes=5)).isoformat()}},
                    inc, None, at["declare"]),
              Draft(kinds.INCIDENT_SEVERITY, {"severity": "SEV2"}, inc, None, at["assess"]),
              Draft(kinds.ACTION, {"action": "block_sign_in", "result": "ok"}, inc, None, at["contain"]),
              Draft(kinds.COMMS_SENT, {"audience": "stakeholders", "update_kind": "initial", "text": "x"}, inc, None,
                    at["notify"])]
    await offline_room.record_many(drafts)
    return await offline_room.journal.entries()


async def test_drill_report_compares_each_time_with_its_target(offline_room):
    entries = await _journal_with_times(offline_room, {"declare": 8, "assess": 20, "contain": 30, "notify": 90})
    report = score("compromised-account", entries, offline_room.config)
    by_key = {r.key: r for r in report.results}
    assert by_key["declare"].minutes == pytest.approx(8, abs=0.01) and by_key["declare"].met
    assert by_key["assess"].minutes == pytest.approx(12, abs=0.01) and by_key["assess"].met
    assert by_key["contain"].minutes == pytest.approx(22, abs=0.01) and by_key["contain"].met
    assert by_key["notify"].minutes == pytest.approx(82, abs=0.01) and not by_key["notify"].met
    assert report.score.startswith("3/4 targets met") and "MISSED" in report.text()


async def test_drill_report_scores_what_was_done(offline_room):
    entries = await _journal_with_times(offline_room, {"declare": 8, "assess": 20, "contain": 30, "notify": 90})
    report = score("compromised-account", entries, offline_room.config,
                   {"contain": ["megan@x"], "resolution_notice": True, "eradicate": ["threat-hunting"],
                    "restored_issue": "EX1"})
    checks = {c.key: c for c in report.checks}
    assert not checks["right_account"].done and "contained nobody" in checks["right_account"].detail
    assert not checks["resolution_notice"].done and not checks["eradication"].done
    assert "never seen" in checks["restoration_noticed"].detail
    incident = entries[1].incident
    more = await offline_room.record_many([
        Draft(kinds.ACTION, {"action": "block_sign_in", "target": "Megan@X", "result": "ok"}, incident),
        Draft(kinds.MICROSOFT_ISSUE, {"issue": "EX1", "status": "serviceRestored", "restored": True,
                                      "claim": "EX1:serviceRestored"}, incident),
        Draft(kinds.INCIDENT_STATUS, {"status": "monitoring"}, incident),
        Draft(kinds.COMMS_SENT, {"audience": "users", "update_kind": "resolution", "text": "back"}, incident)])
    report = score("compromised-account", [*entries, *more], offline_room.config,
                   {"contain": ["megan@x"], "resolution_notice": True, "restored_issue": "EX1"})
    assert all(c.done for c in report.checks), report.text()
    assert report.score.endswith("3/3 of what the scenario needed done")
    assert "done      The right account contained: contained megan@x" in report.text()


async def test_metrics_from_the_journal(offline_room):
    entries = await _journal_with_times(offline_room, {"declare": 8, "assess": 20, "contain": 30, "notify": 90})
    incident = offline_room.incident
    metrics = {m.key: m for m in response_metrics(incident, [e for e in entries if e.incident == incident.id])}
    assert metrics["detect"].minutes == pytest.approx(13, abs=0.01)
    assert metrics["acknowledge"].minutes == pytest.approx(12, abs=0.01)
    assert metrics["contain"].minutes == pytest.approx(22, abs=0.01)
    assert metrics["resolve"].minutes is None and metrics["resolve"].text() == "not reached"
    on_time = updates_on_time(incident, [e for e in entries if e.incident == incident.id],
                              comms.cadence_minutes(offline_room.config))
    assert (on_time.sent, on_time.on_time) == (1, 0)     # due 60 min after declaring at SEV2; sent after 82
    assert on_time.late == ["#1 (22 min late)"]

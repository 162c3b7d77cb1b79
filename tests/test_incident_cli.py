"""`warroom declare`, `warroom incident status|close` and `warroom handoff` from a shell, as a script would."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from warroom.console.cli import main
from warroom.console.journal import Draft, Entry, kinds, open_journal


def _entries(path: Path, kind: str | None = None) -> list[Entry]:
    async def read() -> list[Entry]:
        async with await open_journal(path, readonly=True) as journal:
            return await journal.entries(kinds=[kind] if kind else None)

    return asyncio.run(read())


def _observe(path: Path, source: str, data: dict) -> None:
    async def write() -> None:
        async with await open_journal(path, actor="warroom") as journal:
            await journal.append_many([Draft(kinds.OBSERVATION, {"source": source, "key": data["id"], "digest": "d",
                                                                 "data": data})])

    asyncio.run(write())


def _declare(path: Path, capsys, *args: str) -> str:
    assert main(["--journal", str(path), "declare", *args]) == 0
    return capsys.readouterr().out.strip()


def test_declare_prints_the_id_and_journals_the_playbook(journal_path, capsys):
    incident = _declare(journal_path, capsys, "--category", "data-loss", "--title", "Site emptied",
                        "--service", "SharePoint Online", "--service", "OneDrive")
    assert incident.startswith("INC-") and incident.endswith("-01")
    [declared] = _entries(journal_path, kinds.INCIDENT_DECLARED)
    assert declared.incident == incident and declared.actor == "test-responder"
    assert declared.body["roles"] == {"incident_commander": "test-responder"}
    steps = [(e.body["playbook"], e.body["step"]) for e in _entries(journal_path, kinds.TASK_ADDED)]
    assert len(steps) == len(set(steps))      # SharePoint's steps once, though OneDrive is its alias


def test_declare_from_a_microsoft_issue_takes_its_title_service_and_start(journal_path, capsys):
    _observe(journal_path, "issues", {"id": "EX1195322", "title": "Mail delayed", "service": "Exchange Online",
                                      "status": "serviceDegradation", "startDateTime": "2026-12-05T00:10:00Z"})
    incident = _declare(journal_path, capsys, "--category", "service-outage", "--from-issue", "EX1195322")
    [declared] = _entries(journal_path, kinds.INCIDENT_DECLARED)
    assert declared.incident == incident and declared.body["title"] == "Mail delayed"
    assert declared.body["services"] == ["Exchange Online"]
    assert declared.body["source"]["started"] == "2026-12-05T00:10:00.000Z"
    [link] = _entries(journal_path, kinds.INCIDENT_LINKED)
    assert link.body == {"type": "service_issue", "id": "EX1195322", "title": "Mail delayed"}


def test_declare_refuses_a_missing_title_in_one_line(journal_path, capsys):
    assert main(["--journal", str(journal_path), "declare", "--category", "service-outage"]) == 1
    assert capsys.readouterr().err.strip() == "warroom: give the incident a title"
    assert _entries(journal_path) == []


def test_status_moves_along_the_lifecycle_and_says_why_not(journal_path, capsys):
    incident = _declare(journal_path, capsys, "--category", "security-incident", "--title", "Phish")
    base = ["--journal", str(journal_path), "incident", "status", incident]
    assert main([*base, "investigating", "--text", "looking at sign-ins"]) == 0
    assert capsys.readouterr().out.startswith(f"{incident}: declared → investigating (entry ")
    assert main([*base, "mitigated"]) == 1
    assert "is contained, not mitigated" in capsys.readouterr().err
    assert main([*base, "contained"]) == 0
    assert main([*base, "investigating"]) == 1
    assert "say why (--text)" in capsys.readouterr().err
    statuses = [(e.body["status"], e.body.get("text")) for e in _entries(journal_path, kinds.INCIDENT_STATUS)]
    assert statuses == [("investigating", "looking at sign-ins"), ("contained", None)]


def test_close_lists_open_tasks_and_closes_only_when_told(journal_path, capsys):
    incident = _declare(journal_path, capsys, "--category", "service-outage", "--title", "Teams down")
    base = ["--journal", str(journal_path), "incident", "close", incident, "--summary", "Back"]
    assert main(base) == 1
    error = capsys.readouterr().err
    assert "task(s) still open: T1 " in error and "--with-open-tasks" in error
    assert _entries(journal_path, kinds.INCIDENT_CLOSED) == []
    assert main([*base, "--with-open-tasks"]) == 0
    assert "closed with" in capsys.readouterr().out
    [closed] = _entries(journal_path, kinds.INCIDENT_CLOSED)
    assert closed.body["open_tasks"][0] == "T1"
    [resolved] = _entries(journal_path, kinds.INCIDENT_STATUS)
    assert resolved.body["at_closing"] is True


def test_handoff_prints_one_page_and_journals_the_role_changing_hands(journal_path, capsys):
    incident = _declare(journal_path, capsys, "--category", "security-incident", "--title", "Phish \x1b[31mred")
    assert main(["--journal", str(journal_path), "note", "--kind", "decision", "--incident", incident,
                 "Keep the mailbox online"]) == 0
    capsys.readouterr()
    assert main(["--journal", str(journal_path), "handoff", incident, "--to", "bob"]) == 0
    page = capsys.readouterr().out
    for part in ("Status: declared since", "Severity: not assessed", "Incident commander: test-responder",
                 "Keep the mailbox online", "· Threat contained", "Open tasks (", "Next stakeholder update due:",
                 "Incident commander handed over to bob", "Phish \\x1b[31mred"):
        assert part in page, part
    assert "\x1b" not in page
    [role] = [e for e in _entries(journal_path, kinds.INCIDENT_ROLE) if e.body.get("previous")]
    assert role.body["person"] == "bob" and role.body["previous"] == "test-responder"
    assert "Keep the mailbox online" in role.body["handoff"]
    assert main(["--journal", str(journal_path), "handoff", incident, "--to", "bob"]) == 1
    assert "bob already holds Incident commander" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["declare", "--help"], ["incident", "status", "--help"], ["handoff", "--help"]])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main(command)
    assert done.value.code == 0 and "usage: warroom" in capsys.readouterr().out


def test_the_support_case_is_tracked_and_handed_over(journal_path, capsys):
    incident = _declare(journal_path, capsys, "--category", "service-outage", "--title", "Mail down")
    base = ["--journal", str(journal_path), "incident", "case", incident, "2512050040001234"]
    assert main([*base, "--severity", "A", "--opened", "2026-12-05T00:40:00Z"]) == 0
    assert main([*base, "--contact", "Engineer says the fix is rolling out"]) == 0
    assert "support case 2512050040001234 recorded" in capsys.readouterr().out
    links = [e.body for e in _entries(journal_path, kinds.INCIDENT_LINKED)]
    assert links[0]["severity"] == "A" and links[1]["last_contact"]["text"].startswith("Engineer says")
    assert main(["--journal", str(journal_path), "handoff", incident]) == 0
    page = capsys.readouterr().out
    assert "Support case 2512050040001234, severity A, opened 2026-12-05 00:40 UTC; last contact" in page
    assert "the fix is rolling out" in page
    assert main(["--journal", str(journal_path), "report", incident]) == 0
    report = capsys.readouterr().out
    assert "severity A" in report and "the fix is rolling out" in report


def test_handoff_prints_everything_a_new_commander_needs(journal_path, capsys):
    incident = _declare(journal_path, capsys, "--category", "security-incident", "--title", "Phish")

    async def work() -> None:
        async with await open_journal(journal_path, actor="alex") as journal:
            await journal.append_many([
                Draft(kinds.INCIDENT_SEVERITY, {"severity": "SEV2", "reasoning": "one mailbox, no data taken"},
                      incident),
                Draft(kinds.TASK_UPDATED, {"task_id": "T1", "status": "blocked", "blockers": "no Defender access"},
                      incident),
                Draft(kinds.DECISION, {"text": "Keep the mailbox online", "reason": "legal hold"}, incident),
                Draft(kinds.ACTION, {"action": "block_sign_in", "target": "megan@x", "result": "ok"}, incident),
                Draft(kinds.ACTION, {"action": "revoke_sessions", "target": "megan@x", "result": "requested"},
                      incident),
            ])

    asyncio.run(work())
    assert main(["--journal", str(journal_path), "handoff", incident, "--to", "bob", "--role",
                 "communications_lead"]) == 0
    page = capsys.readouterr().out
    for part in ("Status: declared since", "Severity: SEV2 — one mailbox, no data taken",
                 "Incident commander: test-responder", "Communications lead: bob",
                 "Communications lead: nobody → bob (by test-responder)", "Next stakeholder update due:",
                 "T1 [blocked]", "BLOCKED: no Defender access", "Keep the mailbox online (because legal hold)",
                 "block_sign_in megan@x (alex)", "revoke_sessions megan@x: sent", "OUTCOME UNKNOWN",
                 "waits for", "· Threat contained", "Communications lead handed over to bob"):
        assert part in page, part
    [role] = [e for e in _entries(journal_path, kinds.INCIDENT_ROLE) if e.body.get("role") == "communications_lead"]
    assert role.body["person"] == "bob" and "previous" not in role.body and "SEV2" in role.body["handoff"]


def test_status_help_says_what_each_status_means(capsys):
    with pytest.raises(SystemExit) as done:
        main(["incident", "status", "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert "contained     the threat or the loss can spread no further" in shown
    assert "closed" not in shown.split("statuses:")[1]      # closing is `warroom incident close`

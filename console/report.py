"""The post-incident report, from the journal alone: Markdown or a single self-contained HTML page.

The report follows the seeds' Documentation Requirements and Post-Incident Analysis: incident details,
severity and why, the timeline (when it happened, was discovered and was logged), decisions, containment
actions with their before and after, communications, response metrics, the review checklist and lessons
learned, and follow-up actions. Titles and bodies are attacker-controlled: every string goes through
one escaping function per format, and the HTML page loads nothing from anywhere.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__
from .incidents import DEFAULT_CADENCE_MINUTES, Incident, IncidentBook
from .journal import Entry, VerifyResult, kinds
from .journal_reader import describe_entry, imported_by
from .metrics import Metric, load_checklist, response_metrics, updates_on_time
from .text import clean_uncut
from .timefmt import to_iso, utc_now

FORMATS = ("md", "html")


# -- a format-neutral document: sections of paragraphs, key/value lists, tables and bullets -------------


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


# A paragraph, a list of label/value pairs, or a table.
Block = str | list[tuple[str, str]] | Table


@dataclass
class Section:
    """A heading and what goes under it: paragraphs, label/value pairs and tables."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    empty: str = "Nothing recorded."


@dataclass
class Report:
    incident: Incident
    sections: list[Section]
    generated_at: str
    metrics: list[Metric]


def _when(text: str | None) -> str:
    return text.replace("T", " ").replace("Z", " UTC") if text else "—"


def _at(moment: datetime | None) -> str:
    return _when(to_iso(moment)) if moment else "—"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else "—"


# -- building ----------------------------------------------------------------------------------------------


def build(incident: Incident, entries: list[Entry], *, journal_id: str = "", head: tuple[int, str] = (0, ""),
          chain_ok: bool | None = None, cadence: dict[str, int] | None = None, verdict: VerifyResult | None = None,
          imports: list[Entry] | None = None) -> Report:
    """Lay out every section from the incident projection and its entries (metrics as the Close screen has them).

    `verdict` (the chain's) puts a warning first when it did not verify, and marks the entries it cannot vouch
    for; `imports` (the journal's `journal.imported` entries) marks the entries that came from other journals.
    """
    if verdict is not None:
        chain_ok = verdict.ok
    broken_at = verdict.bad_seq if verdict is not None and not verdict.ok else None
    came_in = {entry.seq: by.seq for entry in entries if (by := imported_by(entry, imports or []))}
    of = _by_kind(entries)
    cadence = {**DEFAULT_CADENCE_MINUTES, **(cadence or {})}
    metrics = response_metrics(incident, entries)
    updates = updates_on_time(incident, entries, cadence, now=incident.closed_at)
    roles = [(role.replace("_", " ").capitalize(), person) for role, person in sorted(incident.roles.items())]
    facts: list[tuple[str, str]] = [
        ("Incident", incident.id), ("Title", incident.title), ("Category", incident.category or "—"),
        ("Services", ", ".join(map(str, incident.services)) or "—"),
        ("Declared", f"{_at(incident.declared_at)} by {incident.declared_by}"),
        ("Closed", _at(incident.closed_at)), ("Status", incident.status),
        ("Source", _json(incident.source) if incident.source else "—"), *roles,
    ]
    # Impact assessment, resources and estimates (incident.updated) and linked alerts, issues and cases.
    facts += [(key.replace("_", " ").capitalize(), value if isinstance(value, str) else _json(value))
                          for key, value in incident.details.items()]
    facts += [(f"Linked {link.get('type', 'item')}", f"{link.get('id', '')} {link.get('title', '')}")
                          for link in incident.links if link.get("type") != "support_case"]
    case = incident.support_case()
    if case:
        contact = given if isinstance(given := case.get("last_contact"), dict) else {}
        facts.append(("Linked support_case", " ".join(str(part) for part in (
            case.get("id", ""), case.get("title", ""), f"severity {case['severity']}" if case.get("severity") else "",
            f"opened {case['opened']}" if case.get("opened") else "",
            f"last contact {contact.get('at')}: {contact.get('text')}" if contact else "") if part)))
    summary = Section("Summary", [facts])
    if incident.summary:
        summary.blocks.append(incident.summary)
    if incident.history:
        summary.blocks.append(Table(["Status", "Since", "By", "Why", "Entry"], [
            [change.status, _at(change.at), change.actor, change.text or "—", str(change.seq)]
            for change in incident.history]))

    severity = Section("Severity", [[("Severity", incident.severity or "not assessed"),
                                     ("Reasoning", incident.severity_reasoning or "—")]])
    history = [[_when(e.occurred_at), e.actor, str(e.body.get("severity", "")), _json(e.body.get("factors")),
                str(e.body.get("reasoning", "")), str(e.body.get("override_reason", ""))]
               for e in of(kinds.INCIDENT_SEVERITY)]
    if history:
        severity.blocks.append(Table(["Assessed", "By", "Severity", "Factors", "Reasoning", "Override"], history))

    def marks(entry: Entry) -> str:
        notes = [f"imported by entry {came_in[entry.seq]}"] if entry.seq in came_in else []
        if broken_at is not None and entry.seq >= broken_at:
            notes.append("the chain breaks here" if entry.seq == broken_at else "after the break: unverified")
        return f"[{'; '.join(notes)}] " if notes else ""

    timeline = Section("Timeline", [Table(
        ["#", "Occurred", "Discovered", "Logged", "Actor", "Kind", "What"],
        [[str(e.seq), _when(e.occurred_at), _when(e.discovered_at), _when(e.logged_at), e.actor, e.kind,
          marks(e) + describe_entry(e)] for e in entries],
    )] if entries else [])

    decisions = Section("Decisions", [Table(
        ["Occurred", "By", "Decision", "Reason"],
        [[_when(e.occurred_at), e.actor, str(e.body.get("text", "")), str(e.body.get("reason", ""))]
         for e in of(kinds.DECISION)],
    )] if of(kinds.DECISION) else [])

    actions = Section("Containment actions", [Table(
        ["Occurred", "By", "Action", "Target", "Result", "Before", "After", "Request id"],
        [[_when(e.occurred_at), e.actor, str(e.body.get("action", "")), str(e.body.get("target", "")),
          str(e.body.get("result", "")) + (" (dry run)" if e.body.get("dry_run") else "")
          + (f": {e.body['error']}" if e.body.get("error") else ""),
          _json(e.body.get("before")), _json(e.body.get("after")), str(e.body.get("request_id") or "—")]
         for e in of(kinds.ACTION)],
    )] if of(kinds.ACTION) else [])

    recovery = Section("Recovery verifications", [Table(
        ["Occurred", "By", "Service", "Option", "How", "Result", "What was seen", "Task", "Entry"],
        [[_when(e.occurred_at), e.actor, str(e.body.get("service", "")), str(e.body.get("option", "")),
          RECOVERY_HOW.get(str(e.body.get("by", "")), str(e.body.get("by", "")) or "—"),
          str(e.body.get("result", "")), _recovery_seen(e.body), str(e.body.get("task_id") or "—"), str(e.seq)]
         for e in of(kinds.RECOVERY)],
    )] if of(kinds.RECOVERY) else [], empty="No recovery option was verified: the Recovery screen (r) journals a "
                                            "verification in the responder's words (F2) or a live check (F3).")

    comms = Section("Communications sent", [Table(
        ["Sent", "By", "Audience", "Update", "Recipients", "Channels and results", "Message"],
        [[_when(e.occurred_at), e.actor, str(e.body.get("audience", "")), _update(e.body),
          ", ".join(map(str, e.body.get("recipients") or [])) or "—", channel_results(e.body),
          str(e.body.get("text", ""))] for e in of(kinds.COMMS_SENT)],
    )] if of(kinds.COMMS_SENT) else [])

    microsoft = Section("Microsoft's post-incident report", [], empty=(
        "Microsoft has not published a post-incident report for the linked issue yet."
        if any(link.get("type") == "service_issue" for link in incident.links)
        else "No Microsoft service issue is linked to this incident."))
    for entry in of(kinds.MICROSOFT_REPORT):
        body = entry.body
        microsoft.blocks.append([("Issue", str(body.get("issue", ""))), ("Kept", f"{_when(entry.occurred_at)}, "
                                 f"entry {entry.seq}"), ("SHA-256", str(body.get("sha256", ""))),
                                 ("Size", f"{body.get('size', '?')} bytes")])
        if body.get("text"):
            microsoft.blocks += [line for line in str(body["text"]).splitlines() if line.strip()]
        else:
            microsoft.blocks.append(str(body.get("withheld") or "Not text: kept in the journal as base64."))
    metric_rows = [[m.name, m.text(), _at(m.start), _at(m.end), m.basis or "—"] for m in metrics]
    every = ", ".join(f"{sev} every {minutes} min" for sev, minutes in sorted(cadence.items()))
    metric_rows.append([f"Updates on time ({every})", updates.text(), "—", "—", "comms.sent entries"])
    metrics_section = Section("Response metrics", [Table(["Metric", "Value", "From", "To", "Entries"],
                                                         metric_rows)])

    still_open = [t.id for t in incident.tasks.values() if not t.done]
    progress: list[tuple[str, str]] = [(f"Milestone: {name}", "reached" if done else "NOT reached")
                                       for name, done in incident.milestones()]
    progress.append(("Open tasks" + (" at closing" if incident.closed_at else ""),
                     ", ".join(still_open) if still_open else "none"))
    tasks = Section("Tasks", [progress, Table(
        ["Task", "What", "Role", "Owner", "Status", "Done", "Done by"],
        [[t.id, t.text, t.role or "—", t.owner or "—", t.status.upper() if not t.done else t.status,
          _at(t.done_at), _done_by(t.ticked_by)] for t in incident.tasks.values()],
    )] if incident.tasks else [])

    review = Section("Review checklist and lessons learned", [checklist_answers(of(kinds.REVIEW))]
                     if of(kinds.REVIEW) else [], empty="The post-incident review has not been recorded yet.")

    follow_ups = Section("Follow-up actions", [Table(
        ["Action", "Owner", "Due", "Recorded"],
        [[str(e.body.get("text", "")), str(e.body.get("owner") or "—"), str(e.body.get("due") or "—"),
          _when(e.occurred_at)] for e in of(kinds.FOLLOW_UP)],
    )] if of(kinds.FOLLOW_UP) else [])

    verification = {True: "the whole chain verified", False: "THE CHAIN DID NOT VERIFY",
                    None: "not checked"}[chain_ok]
    if broken_at is not None and verdict is not None:
        verification += f" (entry {broken_at}: {verdict.reason})"
    integrity = Section("Journal integrity", [[
        ("Journal id", journal_id or "—"), ("Chain head", f"entry {head[0]}, {head[1] or '—'}"),
        ("Verification", verification), ("Entries in this report", str(len(entries))),
        ("Imported from other journals", _imported_text(came_in)),
    ]])
    sections = [summary, severity, timeline, decisions, actions, recovery, comms, microsoft, metrics_section, tasks,
                review, follow_ups, integrity]
    if chain_ok is False:
        where = f"at entry {broken_at}" if broken_at is not None else "(the journal itself)"
        reason = verdict.reason if verdict is not None else "the chain did not verify"
        sections.insert(0, Section("WARNING: the journal does not verify", [
            f"The journal's hash chain is broken {where}: {reason}. Entries from there on may have been changed, "
            "removed or inserted after they were written; this report shows them as they are now."]))
    return Report(incident, sections, to_iso(utc_now()), metrics)


def _imported_text(came_in: dict[int, int]) -> str:
    if not came_in:
        return "none"
    records = ", ".join(map(str, sorted(set(came_in.values()))))
    return (f"{len(came_in)} entries (imported by entries {records}): their content is as the imported file had "
            "it; which journal that file came from is its own claim")


RECOVERY_HOW = {"hand": "by hand", "check": "live check"}


def _recovery_seen(body: dict[str, Any]) -> str:
    """What the verification rests on: the responder's words, or what Graph said (and since when)."""
    given = body.get("check")
    check: dict[str, Any] = given if isinstance(given, dict) else {}
    seen = str(body.get("text", "")) or "—"
    if check.get("since"):
        seen += f" (since {_when(str(check['since']))})"
    return seen


def _update(body: dict[str, Any]) -> str:
    number = body.get("number")
    return f"{body.get('update_kind', '')} #{number}" if number else str(body.get("update_kind", ""))


def channel_results(body: dict[str, Any]) -> str:
    """What each channel did with a message; an entry from before channels says how it was recorded."""
    results = body.get("results")
    if not isinstance(results, dict):
        return f"recorded as sent ({body.get('channel') or 'no channel named'}); not delivered by warroom"
    lines = []
    for name, result in results.items():
        if not isinstance(result, dict):
            continue
        verdict = "delivered" if result.get("ok") else "FAILED"
        lines.append(f"{name} ({result.get('kind', '?')}): {verdict}: {result.get('detail', '')}")
    return "; ".join(lines) or "no channel"


def _done_by(by: dict[str, Any] | None) -> str:
    if not by:
        return "—"
    return str(by.get("what", "")) + (f" (entry {by['entry']})" if by.get("entry") else "")


def checklist_answers(answers: list[Entry]) -> list[tuple[str, str]]:
    """Every checklist item in its order with its answer (or that it was not answered), then any extra items."""
    by_item: dict[str, list[str]] = {}
    for entry in answers:
        by_item.setdefault(str(entry.body.get("item", "")), []).append(str(entry.body.get("text", "")))
    rows = []
    for item in load_checklist():
        given = by_item.pop(item.id, []) + by_item.pop(item.title, [])
        rows.append((f"{item.section}: {item.title}", " / ".join(given) or "not answered"))
    rows += [(item, " / ".join(texts)) for item, texts in by_item.items()]
    return rows


def _by_kind(entries: list[Entry]) -> Callable[[str], list[Entry]]:
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.kind, []).append(entry)
    return lambda kind: groups.get(kind, [])


def incident_from(entries: Iterable[Entry], incident_id: str) -> Incident | None:
    book = IncidentBook()
    for entry in entries:
        book.apply(entry)
    return book.incidents.get(incident_id)


# -- Markdown ----------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~!()])")
_MD_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")


def md(text: object) -> str:
    """Escape so Markdown shows the text literally: punctuation backslashed, HTML as entities, no controls.

    Leading spaces go (four would start a code block); a leading list or heading marker is backslashed.
    """
    value = clean_uncut(text).lstrip()
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return _MD_LINE_START.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], value)


def render_markdown(report: Report) -> str:
    lines = [f"# Post-incident report: {md(report.incident.id)}, {md(report.incident.title)}", "",
             f"Generated {md(_when(report.generated_at))} by warroom {md(__version__)} from the incident journal.", ""]
    for section in report.sections:
        lines += [f"## {md(section.title)}", ""]
        if not section.blocks:
            lines += [f"_{md(section.empty)}_", ""]
        for block in section.blocks:
            if isinstance(block, str):
                lines += [md(block), ""]
            elif isinstance(block, Table):
                lines.append("| " + " | ".join(md(h) for h in block.headers) + " |")
                lines.append("|" + "---|" * len(block.headers))
                lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in block.rows]
                lines.append("")
            else:
                lines += [f"- **{md(key)}**: {md(value)}" for key, value in block]
                lines.append("")
    return "\n".join(lines)


# -- HTML --------------------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111;margin:2em auto;max-width:72em;
padding:0 1em}
h1{font-size:1.5em;border-bottom:2px solid #333;padding-bottom:.3em}
h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #bbb;page-break-after:avoid}
table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .45em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eee}tr{page-break-inside:avoid}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}.empty{color:#666;font-style:italic}.meta{color:#555}
@media print{body{margin:0;max-width:none}a{color:inherit}}
"""


def esc(text: object) -> str:
    return html.escape(clean_uncut(text), quote=True)


def render_html(report: Report) -> str:
    """One page, inline CSS, a CSP that forbids loading anything: printable and safe to open."""
    title = f"Post-incident report: {report.incident.id}, {report.incident.title}"
    out = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="referrer" content="no-referrer">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">Generated {esc(_when(report.generated_at))} by warroom {esc(__version__)} '
        "from the incident journal.</p>",
    ]
    for section in report.sections:
        out.append(f"<section><h2>{esc(section.title)}</h2>")
        if not section.blocks:
            out.append(f'<p class="empty">{esc(section.empty)}</p>')
        for block in section.blocks:
            if isinstance(block, str):
                out.append(f"<p>{esc(block)}</p>")
            elif isinstance(block, Table):
                out.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in block.headers)
                           + "</tr></thead><tbody>")
                out += ["<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in block.rows]
                out.append("</tbody></table>")
            else:
                out.append("<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in block) + "</dl>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(report: Report, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (use md or html)")
    return render_markdown(report) if fmt == "md" else render_html(report)


def report_and_verdict(journal_path: str | Path, incident_id: str, fmt: str, *,
                       cadence: dict[str, int] | None = None) -> tuple[str, VerifyResult]:
    """The report, and the chain's verdict for the caller to warn with (the report states it too)."""
    from .journal_reader import JournalReader

    with JournalReader(journal_path) as journal:
        entries = list(journal.incident_entries(incident_id))
        incident = incident_from(entries, incident_id)
        if incident is None:
            known = ", ".join(i.id for i in journal.incidents()) or "none"
            raise ValueError(f"no incident {incident_id!r} in {journal.path} (incidents: {known})")
        verdict = journal.verify()
        report = build(incident, entries, journal_id=journal.journal_id, head=journal.head(), verdict=verdict,
                       cadence=cadence, imports=journal.imports())
    return render(report, fmt), verdict

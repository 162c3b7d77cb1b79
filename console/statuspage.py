"""The static status page: `index.html` and `status.json` in a folder a web server serves.

Written whole and atomically (a temporary file in the same folder, flushed, then renamed), readable without
JavaScript (there is none), every value escaped. It holds what a user needs while the console's host may be the
only one that knows: each incident's title, status, impact, last update and its time, when the next is due, and
the updates before it. Its content is rebuilt from the journal's `comms.sent` entries for this channel, newest
incident first, so a page is never edited in place and never disagrees with the journal.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .journal import Entry, kinds
from .timefmt import from_iso, to_iso

if TYPE_CHECKING:
    from .channels import StatusPageChannel
    from .delivery import Outgoing

MAX_INCIDENTS = 20          # bound the page: the newest incidents
MAX_HISTORY = 50            # and each one's newest updates
RESOLVED_KINDS = ("resolution", "post-incident-report", "lessons-learned")


class PageUpdate(NamedTuple):
    incident: str
    headline: str
    status: str
    impact: str
    subject: str
    text: str
    at: datetime
    next_update_due: datetime | None
    update_kind: str

    @classmethod
    def from_outgoing(cls, outgoing: Outgoing) -> PageUpdate:
        return cls(outgoing.incident, outgoing.headline, outgoing.status, outgoing.impact, outgoing.subject,
                   outgoing.text, outgoing.sent_at, outgoing.next_update_due, outgoing.update_kind)

    @classmethod
    def from_entry(cls, entry: Entry) -> PageUpdate:
        body = entry.body
        due = body.get("next_update_due")
        try:
            next_due = from_iso(due) if isinstance(due, str) else None
        except ValueError:
            next_due = None
        return cls(str(entry.incident or ""), str(body.get("headline") or body.get("subject") or ""),
                   str(body.get("status") or ""), str(body.get("impact") or ""), str(body.get("subject") or ""),
                   str(body.get("text") or ""), entry.occurred, next_due, str(body.get("update_kind") or ""))


def page_updates(entries: list[Entry], channel: str) -> list[PageUpdate]:
    """Every message this status-page channel published, in journal order."""
    found = []
    for entry in entries:
        if entry.kind != kinds.COMMS_SENT or entry.incident is None:
            continue
        result = (entry.body.get("results") or {}).get(channel)
        if isinstance(result, dict) and result.get("ok"):
            found.append(PageUpdate.from_entry(entry))
    return found


def _status(update: PageUpdate) -> str:
    return "resolved" if update.update_kind in RESOLVED_KINDS else (update.status or "investigating")


def page_data(title: str, updates: list[PageUpdate], now: datetime) -> dict[str, Any]:
    """What status.json holds, and what index.html shows."""
    by_incident: dict[str, list[PageUpdate]] = {}
    for update in updates:
        by_incident.setdefault(update.incident, []).append(update)
    incidents: list[dict[str, Any]] = []
    for incident, history in by_incident.items():
        history = sorted(history, key=lambda u: u.at)[-MAX_HISTORY:]
        last = history[-1]
        status = _status(last)
        incidents.append({
            "id": incident, "title": last.headline, "status": status, "impact": last.impact,
            "last_update": {"text": last.text, "subject": last.subject, "at": to_iso(last.at)},
            "next_update_due": (to_iso(last.next_update_due)
                                if last.next_update_due and status != "resolved" else None),
            "history": [{"at": to_iso(u.at), "subject": u.subject, "text": u.text} for u in reversed(history)],
        })
    incidents.sort(key=lambda i: i["last_update"]["at"], reverse=True)
    open_first = [i for i in incidents if i["status"] != "resolved"]
    open_first += [i for i in incidents if i["status"] == "resolved"]
    return {"title": title, "generated_at": to_iso(now), "incidents": open_first[:MAX_INCIDENTS]}


def _when(value: str | None) -> str:
    if not value:
        return "—"
    return from_iso(value).strftime("%Y-%m-%d %H:%M UTC")


_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 48rem; padding: 1rem; color: #111; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-bottom: .25rem; }
.status { display: inline-block; padding: 0 .5rem; border: 1px solid; border-radius: .25rem; font-weight: bold; }
.resolved { color: #0a5d1c; } .open { color: #8a1c00; }
pre { white-space: pre-wrap; word-break: break-word; font: inherit; margin: .25rem 0 1rem; }
section { border-top: 1px solid #ccc; padding-top: .5rem; margin-top: 1rem; }
dt { font-weight: bold; } dd { margin: 0 0 .5rem; }
""".strip()


def render_html(data: dict[str, Any]) -> str:
    """The page: plain HTML, no scripts, no external resources, every value escaped."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
             f"<title>{e(data['title'])}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
             f"<h1>{e(data['title'])}</h1>",
             f"<p>Updated {e(_when(data['generated_at']))}.</p>"]
    if not data["incidents"]:
        parts.append("<p>No incidents reported.</p>")
    for incident in data["incidents"]:
        state = "resolved" if incident["status"] == "resolved" else "open"
        parts += [f'<section id="{e(incident["id"])}">',
                  f"<h2>{e(incident['title'])}</h2>",
                  f'<p><span class="status {state}">{e(incident["status"])}</span> {e(incident["id"])}</p>',
                  "<dl>",
                  f"<dt>Impact</dt><dd>{e(incident['impact'] or '—')}</dd>",
                  f"<dt>Last update</dt><dd>{e(_when(incident['last_update']['at']))}</dd>",
                  f"<dt>Next update by</dt><dd>{e(_when(incident['next_update_due']))}</dd>",
                  "</dl>",
                  f"<pre>{e(incident['last_update']['text'])}</pre>"]
        earlier = incident["history"][1:]
        if earlier:
            parts.append("<h3>Earlier updates</h3>")
            for update in earlier:
                parts += [f"<p><strong>{e(_when(update['at']))}</strong> {e(update['subject'])}</p>",
                          f"<pre>{e(update['text'])}</pre>"]
        parts.append("</section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)      # a web server reads it
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publish(channel: StatusPageChannel, updates: list[PageUpdate], now: datetime) -> Path:
    """Write status.json, then index.html, each replaced whole; returns the page's path."""
    folder = channel.folder
    folder.mkdir(parents=True, exist_ok=True)
    data = page_data(channel.title, updates, now)
    _write_atomically(folder / "status.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    page = folder / "index.html"
    _write_atomically(page, render_html(data))
    return page

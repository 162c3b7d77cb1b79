"""Following Microsoft to the end: a linked service issue's status changes on the incident's timeline, its
restoration announced, and Microsoft's post-incident report kept with its SHA-256 once published.

Headless: the session decides when to call these (after each poll); they say what to journal.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from .incidents import Incident
from .journal import Draft, kinds
from .lifecycle import RESTORED_ISSUE_STATES, issue_restored

if TYPE_CHECKING:  # the live picture is optional: the console works without a tenant
    from .graph.live import LiveState

REPORT_STATES = frozenset({"postIncidentReviewPublished"})
MAX_REPORT_BYTES = 4 * 1024 * 1024      # a report larger than this is noted by its hash, not kept whole
LAST_POST_CHARS = 4000


def linked_issues(incident: Incident) -> list[str]:
    return list(dict.fromkeys(str(link["id"]) for link in incident.links
                              if link.get("type") == "service_issue" and link.get("id")))


def issue_changes(incident: Incident, live: LiveState | None) -> list[Draft]:
    """A microsoft.issue draft for each linked issue whose status differs from the one the timeline last said."""
    if not incident.is_open or live is None:
        return []
    drafts = []
    for issue_id in linked_issues(incident):
        issue = live.issue(issue_id)
        if issue is None:
            continue
        known = incident.microsoft.get(issue_id, {})
        if known.get("status") == issue.status:
            continue
        posts = issue.posts_newest_first()
        body: dict[str, Any] = {"issue": issue_id, "claim": f"{issue_id}:{issue.status}", "status": issue.status,
                                "title": issue.title, "service": issue.service, "restored": issue_restored(issue)}
        if known.get("status"):
            body["previous"] = known["status"]
        if posts:
            body["last_post"] = posts[0].text[:LAST_POST_CHARS]
        drafts.append(Draft(kinds.MICROSOFT_ISSUE, body, incident.id))
    return drafts


def announces_restoration(body: dict[str, Any]) -> bool:
    """A microsoft.issue entry that is news of the service coming back: restored now and not before. A first
    sighting counts: the console may first read the linked issue after Microsoft restored it."""
    return bool(body.get("restored")) and str(body.get("previous") or "") not in RESTORED_ISSUE_STATES


def reports_due(incident: Incident, live: LiveState | None) -> list[str]:
    """Linked issues whose post-incident report Microsoft has published and the incident does not keep yet."""
    due = []
    for issue_id in linked_issues(incident):
        issue = live.issue(issue_id) if live is not None else None
        if issue is None or issue_id in incident.microsoft_reports:
            continue
        published = issue.status in REPORT_STATES or any(
            str(post.post_type).casefold() == "postincidentreport" for post in issue.posts)
        if published:
            due.append(issue_id)
    return due


def report_body(issue_id: str, data: bytes) -> dict[str, Any]:
    """The microsoft.report body: the bytes' SHA-256 and size, the text when it is text, else base64; bounded."""
    body: dict[str, Any] = {"issue": issue_id, "claim": issue_id, "sha256": hashlib.sha256(data).hexdigest(),
                            "size": len(data)}
    if len(data) > MAX_REPORT_BYTES:
        body["withheld"] = f"larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB: kept by its hash only"
        return body
    try:
        body["text"] = data.decode("utf-8")
    except UnicodeDecodeError:
        body["content_base64"] = base64.b64encode(data).decode("ascii")
    return body


def describe_issue_entry(body: dict[str, Any]) -> str:
    moved = f"{body.get('previous')} → {body.get('status')}" if body.get("previous") else str(body.get("status"))
    restored = " (Microsoft: restored)" if body.get("restored") else ""
    return f"Microsoft {body.get('issue')}: {moved}{restored}"

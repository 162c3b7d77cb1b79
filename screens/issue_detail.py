"""IssueDetailScreen: a Microsoft service issue with its posts, newest first — what Microsoft says and when."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from ..console.graph.models import ServiceIssue
from ..console.subject import Subject
from ..console.text import clean
from ..widgets.labels import SERVICE_STATUS, label
from .detail import DetailScreen, Stamp


def describe_issue(issue: ServiceIssue, zone_stamp: Stamp) -> Text:
    text = Text()

    def field(name: str, value: object) -> None:
        text.append(f"{name:<13}", "bold")
        text.append(clean(value, 300) if value not in (None, "") else "—")
        text.append("\n")

    glyph, word, _ = label(SERVICE_STATUS, issue.status)
    field("Issue", issue.id)
    field("Service", f"{issue.service} · {issue.feature_group} · {issue.feature}")
    field("Status", f"{glyph} {word}" + (" (resolved)" if issue.is_resolved else ""))
    field("Type", f"{issue.classification}, origin {issue.origin}")
    field("Started", zone_stamp(issue.started))
    field("Ended", zone_stamp(issue.ended))
    field("Updated", zone_stamp(issue.last_modified))
    text.append("\nImpact\n", "bold underline")
    text.append(clean(issue.impact, 4000, keep_newlines=True) or "—")
    text.append(f"\n\nPosts ({len(issue.posts)}, newest first)\n", "bold underline")
    for post in issue.posts_newest_first():
        text.append(f"\n{zone_stamp(post.created)}  {clean(post.post_type, 40)}\n", "bold")
        text.append(clean(post.text, 8000, keep_newlines=True) or "(empty)")
        text.append("\n")
    return text


class IssueDetailScreen(DetailScreen):
    """A Microsoft service issue with its posts, newest first: "is it us or Microsoft?"."""

    def __init__(self, issue: ServiceIssue, *, zone_stamp: Stamp, subject: Subject) -> None:
        super().__init__(zone_stamp=zone_stamp, subject=subject)
        self.issue = issue

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = Text(f"{clean(self.issue.id, 20)} · {clean(self.issue.title, 100)}")
            box.border_subtitle = self.keys_line("detail.declare", "detail.link", "detail.close")
            yield Static(describe_issue(self.issue, self.zone_stamp), id="issue-detail-body")
        yield Footer()


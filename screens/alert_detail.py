"""AlertDetailScreen: one Defender alert or incident — evidence, MITRE techniques, the portal link to copy."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from ..console.graph.models import Alert, RiskyUser, SecurityIncident
from ..console.links import portal_link
from ..console.subject import Subject
from ..console.text import clean
from ..widgets.actions import bindings, key_for
from ..widgets.labels import ALERT_SEVERITY, label
from .detail import DetailScreen, Stamp

EVIDENCE_FIELDS = ("userAccount.userPrincipalName", "ipAddress", "url", "fileDetails.fileName", "deviceDnsName",
                   "networkMessageId", "subject", "senderFromAddress", "mailboxPrimaryAddress", "displayName",
                   "verdict", "remediationStatus")


def _pick(item: dict[str, Any], dotted: str) -> Any:
    value: Any = item
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def evidence_lines(evidence: tuple[dict[str, Any], ...], limit: int = 50) -> list[str]:
    """One line per evidence item: its type, then the fields a responder acts on."""
    lines = []
    for item in evidence[:limit]:
        kind = clean(str(item.get("@odata.type", "evidence")).rsplit(".", 1)[-1], 40)
        fields = [f"{dotted.rsplit('.', 1)[-1]}={clean(_pick(item, dotted), 120)}"
                  for dotted in EVIDENCE_FIELDS if _pick(item, dotted) not in (None, "", [])]
        lines.append(f"{kind}: {', '.join(fields) or '(no details)'}")
    if len(evidence) > limit:
        lines.append(f"… and {len(evidence) - limit} more")
    return lines


def portal_line(url: str) -> str:
    """The link when it is one to offer, else why it is not (a tenant's link could be `javascript:`)."""
    link = portal_link(url)
    return link.url or (f"not offered: {link.refused}" if url else "")


def describe_security_item(item: Alert | SecurityIncident | RiskyUser, zone_stamp: Stamp, *,
                           keys: tuple[str, str] = ("B", "R")) -> Text:
    """Everything about the alert as literal text (the strings are the tenant's, not ours)."""
    text = Text()

    def field(name: str, value: object) -> None:
        text.append(f"{name:<13}", "bold")
        text.append(clean(value, 300) if value not in (None, "") else "—")
        text.append("\n")

    if isinstance(item, RiskyUser):
        glyph, word, _ = label(ALERT_SEVERITY, item.risk_level)
        field("Risky user", item.upn)
        field("Name", item.display_name)
        field("Risk level", f"{glyph} {word}")
        field("Risk state", item.risk_state)
        field("Risk detail", item.risk_detail)
        field("Updated", zone_stamp(item.last_updated))
        text.append(f"\n{keys[0]} blocks sign-in, {keys[1]} revokes sessions (Contain), from the dashboard.", "dim")
        return text
    glyph, word, _ = label(ALERT_SEVERITY, item.severity)
    if isinstance(item, Alert):
        field("Alert", item.id)
        field("Severity", f"{glyph} {word}")
        field("Status", item.status)
        field("Category", item.category)
        field("Source", f"{item.service_source} / {item.detection_source}")
        field("Created", zone_stamp(item.created))
        field("Updated", zone_stamp(item.last_updated))
        field("Incident", item.incident_id)
        field("Users", ", ".join(item.users))
        field("IPs", ", ".join(item.ips))
        field("MITRE", ", ".join(item.mitre_techniques) or "none listed")
        field("Portal", portal_line(item.web_url))
        text.append("\nDescription\n", "bold underline")
        text.append(clean(item.description, 4000, keep_newlines=True) or "—")
        text.append("\n\nEvidence\n", "bold underline")
        for line in evidence_lines(item.evidence) or ["none"]:
            text.append(f"  {line}\n")
    else:
        field("Incident", item.id)
        field("Severity", f"{glyph} {word}")
        field("Status", item.status)
        field("Assigned to", item.assigned_to)
        field("Classified", f"{item.classification} {item.determination}".strip())
        field("Created", zone_stamp(item.created))
        field("Updated", zone_stamp(item.last_updated))
        field("Alerts", ", ".join(item.alert_ids[:30]) + (" …" if len(item.alert_ids) > 30 else ""))
        field("Portal", portal_line(item.web_url))
    return text


class AlertDetailScreen(DetailScreen):
    """Read an alert; `y` copies the portal link (OSC 52), `d` declares from it, `l` links it to the open incident."""

    BINDINGS = bindings("alert_detail")
    ACTION_PLACES = ("alert_detail", "detail")

    def __init__(self, item: Alert | SecurityIncident | RiskyUser, *, zone_stamp: Stamp, subject: Subject) -> None:
        super().__init__(zone_stamp=zone_stamp, subject=subject)
        self.item = item

    def compose(self) -> ComposeResult:
        item = self.item
        title = item.title if isinstance(item, Alert) else (
            f"Risky user {item.upn}" if isinstance(item, RiskyUser) else item.display_name)
        with VerticalScroll() as box:
            box.border_title = Text(clean(title, 100))  # the tenant's words, not markup
            box.border_subtitle = self.keys_line("alert_detail.copy", "detail.declare", "detail.link", "detail.close")
            keys = key_for(self.app, "dashboard.block_sign_in"), key_for(self.app, "dashboard.revoke_sessions")
            yield Static(describe_security_item(self.item, self.zone_stamp, keys=keys), id="alert-detail-body")
        yield Footer()

    def action_copy_link(self) -> None:
        """Only an https link to a Microsoft portal reaches the clipboard; anything else is refused, with why."""
        link = portal_link(getattr(self.item, "web_url", ""))
        if not link.url:
            self.notify(f"Portal link not copied: {link.refused}. Only https links to Microsoft's portals are "
                        "copied.", severity="warning", markup=False)
            return
        self.app.copy_to_clipboard(link.url)
        self.notify(f"Copied the portal link (via the terminal, OSC 52): {link.url}", title="Copied", timeout=6,
                    markup=False)

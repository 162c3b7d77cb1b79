"""From an incident to a delivered message: the one path `warroom notify` and the Communicate screen share.

`prepare` fills the audience's template as of now; `outgoing` turns the final subject and text into the message
that leaves (incident id in the subject, "next update by" restated for the moment of sending, this audience's
number); `send` journals, delivers and journals the receipts (console/delivery.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from . import comms
from .channels import Channel
from .delivery import Journaled, MailGateway, Outgoing, RetryPolicy, new_message_id, send_message
from .journal import kinds
from .timefmt import utc_now

if TYPE_CHECKING:
    from .config import Config
    from .incidents import Incident
    from .session import WarRoom

RESOLVED_KINDS = ("resolution", "post-incident-report", "lessons-learned")


class Prepared(NamedTuple):
    """A filled draft for one audience, and where it would go."""

    rendered: comms.Rendered
    context: dict[str, str]
    recipients: tuple[str, ...]
    channels: list[Channel]


def update_kind(name: str) -> str:
    """`report` and `lessons` are short for post-incident-report and lessons-learned."""
    kind = comms.KIND_ALIASES.get(name, name)
    if kind not in comms.UPDATE_KINDS:
        raise ValueError(f"unknown kind {name!r} (kinds: initial, progress, resolution, report, lessons)")
    return kind


async def prepare(warroom: WarRoom, incident: Incident, kind: str, audience: str, *,
                  templates: dict[str, comms.Template] | None = None, now: datetime | None = None) -> Prepared:
    if audience not in comms.AUDIENCES:
        raise ValueError(f"unknown audience {audience!r} (audiences: {', '.join(comms.AUDIENCES)})")
    try:
        template = comms.template_for(templates if templates is not None else comms.load_templates(warroom.config),
                                      kind)
    except KeyError:
        raise ValueError(f"no usable template for {kind} (see `warroom config` for skipped template files)") \
            from None
    if audience not in template.audiences:
        raise ValueError(f"the {template.title.lower()} template has no text for {audience} "
                         f"(it is for {', '.join(template.audiences)})")
    context = await comms.build_context(warroom, incident, now=now or utc_now(), audience=audience)
    routing = warroom.config.routing
    return Prepared(comms.render(template, audience, context), context, routing.recipients(audience),
                    routing.channels_for(audience))


def outgoing(warroom: WarRoom, incident: Incident, prepared: Prepared, kind: str, audience: str, subject: str,
             text: str, *, now: datetime | None = None) -> Outgoing:
    """The message as it leaves at `now`; the draft's "next update by" is restated for this moment."""
    comms.check_message(audience, kind, subject, text)
    now = now or utc_now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)    # the journal keeps milliseconds
    due = comms.due_after(incident, warroom.config, now)
    text = comms.restamp(text, prepared.rendered.next_update, comms.next_update_text(incident, warroom.config, now))
    resolved = kind in RESOLVED_KINDS or incident.status == "resolved"
    headline = prepared.context.get("user_title", incident.title) if audience == "users" else incident.title
    return Outgoing(
        incident=incident.id, audience=audience, update_kind=kind, number=comms.number_for(incident, audience),
        subject=comms.with_incident_id(subject, incident.id), text=text, recipients=prepared.recipients,
        sent_at=now, next_update_due=None if resolved else due, headline=headline,
        status="resolved" if resolved else incident.status, impact=prepared.context.get("impact", ""),
        message_id=new_message_id(warroom.config.routing, audience),
    )


def retry_policy(config: Config) -> RetryPolicy:
    """comms.retry_attempts (1-10) and comms.retry_backoff_seconds (0-60), bounded whatever the file says."""
    attempts = int(config.get("comms.retry_attempts") or 3)
    backoff = float(config.get("comms.retry_backoff_seconds") or 0)
    return RetryPolicy(attempts=max(1, min(10, attempts)), backoff=max(0.0, min(60.0, backoff)))


async def send(warroom: WarRoom, message: Outgoing, *, gateway: MailGateway | None = None,
               policy: RetryPolicy | None = None) -> Journaled:
    """Deliver through the audience's channels; the status page is rebuilt from what the journal holds."""
    earlier = await warroom.journal.entries(kinds=[kinds.COMMS_SENT])
    return await send_message(warroom.record, message, warroom.config.routing, gateway=gateway,
                              earlier_entries=earlier, policy=policy or retry_policy(warroom.config))

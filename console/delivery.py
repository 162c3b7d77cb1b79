"""Delivering one message through its audience's channels, each at most once, with bounded retries.

The order is the promise: the message is journaled as requested (`comms.requested`) before anything leaves, then
every channel is tried at once, then one `comms.sent` entry records the exact text and, per channel, what happened
(the Message-ID we set and the SMTP server's final reply, the HTTP status, Graph's request id, the page's path),
including failures. A transient failure (connection refused, an SMTP 4xx, an HTTP 5xx or 429) is retried with
backoff a bounded number of times; once a channel has taken the message, or might have (no answer after the data
was sent), it is never sent again. No secret reaches an entry or a result: errors are written by us, then scrubbed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import quote

from .channels import Channel, GraphChannel, Routing, SmtpChannel, StatusPageChannel, WebhookChannel, redact
from .journal import kinds
from .timefmt import to_iso, utc_now

if TYPE_CHECKING:
    from .graph.gateway import GraphResponse
    from .journal import Entry
    from .statuspage import PageUpdate


class Outgoing(NamedTuple):
    """One message to one audience, exactly as it will leave."""

    incident: str
    audience: str
    update_kind: str
    number: int                      # the audience's n-th message about this incident
    subject: str
    text: str
    recipients: tuple[str, ...]
    sent_at: datetime                # what "next update by" was computed from
    next_update_due: datetime | None
    headline: str                    # the title fit for this audience (the status page shows it)
    status: str                      # the incident's status as the message states it
    impact: str                      # the impact fit for this audience
    message_id: str

    def body(self) -> dict[str, Any]:
        return {"audience": self.audience, "update_kind": self.update_kind, "number": self.number,
                "subject": self.subject, "text": self.text, "recipients": list(self.recipients),
                "sent_at": to_iso(self.sent_at), "message_id": self.message_id, "headline": self.headline,
                "status": self.status, "impact": self.impact,
                "next_update_due": to_iso(self.next_update_due) if self.next_update_due else None}


class Receipt(NamedTuple):
    """What one channel did with the message."""

    channel: str
    kind: str
    ok: bool
    attempts: int
    detail: str                      # the channel's answer, or why it failed, in one line
    fields: dict[str, Any]           # message_id, smtp_reply, refused, status, request_id, path

    def line(self) -> str:
        verdict = "delivered" if self.ok else "FAILED"
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.channel} ({self.kind}): {verdict}{tries}: {self.detail}"

    def body(self) -> dict[str, Any]:
        return {"kind": self.kind, "ok": self.ok, "attempts": self.attempts, "detail": self.detail, **self.fields}


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3            # tries per channel, the first included
    backoff: float = 2.0         # seconds before the second try; doubled each time
    max_wait: float = 60.0       # a Retry-After longer than this fails the channel instead of holding the send


class Transient(Exception):
    """The channel did not take the message and said so: try again (after `retry_after` seconds if it said)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Failed(Exception):
    """The channel refused the message, or may have taken it: never tried again."""

    attempts = 1


class MailGateway(Protocol):
    """What the graph channel needs of console.graph.gateway.GraphGateway."""

    async def send(self, method: str, path: str, body: Any | None = None) -> GraphResponse: ...


class _Redacting(logging.Filter):
    """HTTP libraries log request URLs, and a webhook's URL is a secret: scrub every known one from their records."""

    secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = redact(record.getMessage(), list(self.secrets))
            record.args = None
        return True


_REDACTING = _Redacting()
for _name in ("httpx", "httpcore", "smtplib"):
    logging.getLogger(_name).addFilter(_REDACTING)


# -- SMTP ------------------------------------------------------------------------------------------------


def mail_message(channel: SmtpChannel, outgoing: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = channel.sender
    message["To"] = ", ".join(outgoing.recipients)
    message["Subject"] = outgoing.subject
    message["Date"] = format_datetime(outgoing.sent_at)
    message["Message-ID"] = outgoing.message_id
    message["X-Warroom-Incident"] = outgoing.incident
    message.set_content(outgoing.text)
    return message


def _smtp_reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}"[:300]


def _smtp_transaction(channel: SmtpChannel, outgoing: Outgoing) -> dict[str, Any]:
    """One SMTP session (runs in a thread). Raises Transient only while nothing can have been delivered."""
    context = ssl.create_default_context(cafile=channel.ca_file)
    data_sent = False
    try:
        if channel.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(channel.host, channel.port, timeout=channel.timeout,
                                                    context=context)
        else:
            client = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)
        with client:
            client.ehlo()
            if channel.security == "starttls":
                if not client.has_extn("starttls"):
                    raise Failed(f"{channel.host} does not offer STARTTLS; not sending in plain text")
                client.starttls(context=context)
                client.ehlo()
            if channel.username and channel.password:
                if not client.has_extn("auth"):
                    raise Failed(f"{channel.host} offers no authentication, but a username is configured")
                client.login(channel.username, channel.password.reveal())
            code, reply = client.mail(channel.sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, channel.sender)
            refused: dict[str, str] = {}
            for address in outgoing.recipients:
                code, reply = client.rcpt(address)
                if code not in (250, 251):
                    refused[address] = _smtp_reply(code, reply)
            if len(refused) == len(outgoing.recipients):
                client.rset()
                temporary = all(r.startswith("4") for r in refused.values())
                reason = "every recipient refused: " + "; ".join(f"{a} {r}" for a, r in refused.items())
                raise Transient(reason) if temporary else Failed(reason)
            data_sent = True
            code, reply = client.data(mail_message(channel, outgoing).as_bytes(policy=SMTP_POLICY))
            if code != 250:
                data_sent = False       # the server answered: it did not take the message
                if 400 <= code < 500:
                    raise Transient(f"the server deferred the message: {_smtp_reply(code, reply)}")
                raise Failed(f"the server refused the message: {_smtp_reply(code, reply)}")
            fields: dict[str, Any] = {"message_id": outgoing.message_id, "smtp_reply": _smtp_reply(code, reply)}
            if refused:
                fields["refused"] = refused
            return fields
    except (Transient, Failed):
        raise
    except smtplib.SMTPAuthenticationError as error:
        raise Failed(f"authentication refused: {_smtp_reply(error.smtp_code, error.smtp_error)}") from None
    except smtplib.SMTPResponseException as error:
        said = _smtp_reply(error.smtp_code, error.smtp_error)
        if 400 <= error.smtp_code < 500 and not data_sent:
            raise Transient(f"the server said {said}") from None
        raise Failed(f"the server said {said}") from None
    except smtplib.SMTPNotSupportedError as error:
        raise Failed(f"{channel.host}: {error}") from None
    except ssl.SSLError as error:
        raise Failed(f"TLS with {channel.host} failed: {error.reason or error}") from None
    except (OSError, smtplib.SMTPException) as error:
        what = type(error).__name__
        if data_sent:
            raise Failed(f"no answer after the message was sent ({what}): not sent again, it may have arrived") \
                from None
        raise Transient(f"{channel.host}:{channel.port}: {what}: {error}") from None


async def _send_smtp(channel: SmtpChannel, outgoing: Outgoing) -> dict[str, Any]:
    fields = await asyncio.to_thread(_smtp_transaction, channel, outgoing)
    fields["detail"] = f"{fields['smtp_reply']} (Message-ID {outgoing.message_id})"
    if fields.get("refused"):
        fields["detail"] += f"; refused: {', '.join(fields['refused'])}"
    return fields


# -- webhooks --------------------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(format: str, outgoing: Outgoing) -> dict[str, Any]:
    """The JSON each receiver expects: a Teams Workflows adaptive card, a Slack message, or our own record."""
    if format == "teams":
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4", "body": [
                    {"type": "TextBlock", "text": outgoing.subject, "weight": "Bolder", "wrap": True},
                    {"type": "TextBlock", "text": outgoing.text, "wrap": True}]}
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
    if format == "slack":
        return {"text": f"*{_slack_escape(outgoing.subject)}*\n{_slack_escape(outgoing.text)}"}
    body = outgoing.body()
    body.pop("recipients")
    return {"incident": outgoing.incident, **body}


def _retry_after(value: str | None) -> float | None:
    from .graph.gateway import retry_after_seconds

    return retry_after_seconds(value)


async def _send_webhook(channel: WebhookChannel, outgoing: Outgoing) -> dict[str, Any]:
    import httpx

    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=channel.ca_file) if channel.ca_file else True
    payload = json.dumps(webhook_payload(channel.format, outgoing), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "warroom",
               "Idempotency-Key": outgoing.message_id.strip("<>")}
    try:
        async with httpx.AsyncClient(timeout=channel.timeout, follow_redirects=False, verify=verify,
                                     trust_env=False) as client:
            response = await client.post(channel.url.reveal(), content=payload, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        raise Transient(f"could not connect ({type(error).__name__})") from None
    except httpx.HTTPError as error:
        raise Failed(f"no answer after the message was sent ({type(error).__name__}): not sent again, it may "
                     "have arrived") from None
    status = response.status_code
    if status == 429 or status >= 500:
        raise Transient(f"HTTP {status} {response.reason_phrase}", _retry_after(response.headers.get("Retry-After")))
    if not 200 <= status < 300:
        raise Failed(f"HTTP {status} {response.reason_phrase}")
    return {"status": status, "detail": f"HTTP {status} {response.reason_phrase}"}


# -- Graph sendMail --------------------------------------------------------------------------------------


def graph_mail(outgoing: Outgoing) -> dict[str, Any]:
    return {"message": {
        "subject": outgoing.subject,
        "body": {"contentType": "Text", "content": outgoing.text},
        "toRecipients": [{"emailAddress": {"address": a}} for a in outgoing.recipients],
        "internetMessageHeaders": [{"name": "X-Warroom-Incident", "value": outgoing.incident}],
    }, "saveToSentItems": True}


async def _send_graph(channel: GraphChannel, outgoing: Outgoing, gateway: MailGateway | None) -> dict[str, Any]:
    if gateway is None:
        raise Failed("Microsoft Graph is not connected from here (use another channel while Microsoft 365 is down)")
    from .graph.errors import GraphError, GraphThrottled, GraphUnavailable

    try:
        answer = await gateway.send("POST", f"/users/{quote(channel.sender)}/sendMail", graph_mail(outgoing))
    except GraphThrottled as error:
        raise Transient(f"Graph throttled the request ({error.reason})", error.retry_after) from None
    except GraphUnavailable as error:
        if error.status is not None and error.status >= 500:
            raise Transient(f"Graph answered {error.status} ({error.reason})", error.retry_after) from None
        raise Failed(f"no answer from Graph ({error.reason}): not sent again, it may have arrived") from None
    except GraphError as error:
        raise Failed(f"Graph refused: {error.reason}"
                     + (f" (request id {error.request_id})" if error.request_id else "")) from None
    request_id, status = answer.request_id, answer.status
    return {"status": status, "request_id": request_id,
            "detail": f"HTTP {status} from Graph (request id {request_id or 'not given'})"}


# -- the status page ------------------------------------------------------------------------------------


async def _send_page(channel: StatusPageChannel, outgoing: Outgoing, earlier: list[PageUpdate]) -> dict[str, Any]:
    from .statuspage import PageUpdate, publish

    updates = [*earlier, PageUpdate.from_outgoing(outgoing)]
    try:
        path = await asyncio.to_thread(publish, channel, updates, utc_now())
    except OSError as error:
        raise Failed(f"could not write the status page in {channel.folder}: {error.strerror or error}") from None
    return {"path": str(path), "detail": f"published {path}"}


# -- one message, every channel --------------------------------------------------------------------------


Sleep = Callable[[float], Awaitable[None]]


async def _attempts(send: Callable[[], Awaitable[dict[str, Any]]], policy: RetryPolicy,
                    sleep: Sleep) -> tuple[dict[str, Any], int]:
    attempt = 1
    while True:
        try:
            return await send(), attempt
        except Failed as error:
            error.attempts = attempt
            raise
        except Transient as error:
            given_up = None
            wait = error.retry_after if error.retry_after is not None else policy.backoff * 2 ** (attempt - 1)
            if attempt >= policy.attempts:
                given_up = Failed(f"{error} (gave up after {attempt} attempts)")
            elif wait > policy.max_wait:
                given_up = Failed(f"{error}; asked to wait {wait:.0f} s, longer than {policy.max_wait:.0f} s")
            if given_up is not None:
                given_up.attempts = attempt
                raise given_up from None
            await sleep(wait)
            attempt += 1


async def deliver_one(channel: Channel, outgoing: Outgoing, *, gateway: MailGateway | None = None,
                      page_history: list[PageUpdate] | None = None, policy: RetryPolicy = RetryPolicy(),
                      sleep: Sleep = asyncio.sleep, secrets: list[str] | None = None) -> Receipt:
    """Deliver to one channel; never raises (anything unexpected becomes a failed receipt, secrets scrubbed)."""
    async def send() -> dict[str, Any]:
        if isinstance(channel, SmtpChannel):
            return await _send_smtp(channel, outgoing)
        if isinstance(channel, WebhookChannel):
            return await _send_webhook(channel, outgoing)
        if isinstance(channel, GraphChannel):
            return await _send_graph(channel, outgoing, gateway)
        return await _send_page(channel, outgoing, page_history or [])

    hidden = secrets or []
    try:
        fields, attempts = await _attempts(send, policy, sleep)
    except Failed as error:
        return Receipt(channel.name, channel.kind, False, error.attempts, redact(str(error), hidden), {})
    except Exception as error:      # a defect must not cost the other channels their delivery or the record
        return Receipt(channel.name, channel.kind, False, 1,
                       redact(f"unexpected {type(error).__name__}: {error}", hidden), {})
    detail = redact(str(fields.pop("detail", "")), hidden)
    return Receipt(channel.name, channel.kind, True, attempts, detail, fields)


def new_message_id(routing: Routing, audience: str) -> str:
    """Our own Message-ID, set once for every channel and every retry of one message."""
    domain = "warroom.invalid"
    for channel in routing.channels_for(audience):
        address = getattr(channel, "sender", "")
        if "@" in address:
            domain = address.rsplit("@", 1)[1]
            break
    return make_msgid("warroom", domain=domain)


class Journaled(NamedTuple):
    requested: Entry
    sent: Entry | None
    receipts: list[Receipt]
    journal_error: str               # the comms.sent entry could not be written (the deliveries happened)

    @property
    def failed(self) -> list[Receipt]:
        return [r for r in self.receipts if not r.ok]


class Recorder(Protocol):
    """WarRoom.record: journal first, then fold."""

    async def __call__(self, kind: str, body: dict[str, Any] | None = None, *, incident: str | None = None,
                       occurred_at: datetime | None = None) -> Entry: ...


async def send_message(record: Recorder, outgoing: Outgoing, routing: Routing, *,
                       gateway: MailGateway | None = None, earlier_entries: list[Entry] | None = None,
                       policy: RetryPolicy = RetryPolicy(), sleep: Sleep = asyncio.sleep) -> Journaled:
    """Journal the request, deliver through every channel of the audience at once, journal what happened.

    A journal refusal before sending raises (nothing left); one after sending is returned in `journal_error`,
    with the receipts, because the message did leave.
    """
    channels = routing.channels_for(outgoing.audience)
    if not channels:
        raise ValueError(f"no channel is configured for {outgoing.audience} ([audiences.{outgoing.audience}])")
    body = {**outgoing.body(), "channels": [c.name for c in channels]}
    requested = await record(kinds.COMMS_REQUESTED, body, incident=outgoing.incident, occurred_at=outgoing.sent_at)
    history: dict[str, list[PageUpdate]] = {}
    if any(isinstance(c, StatusPageChannel) for c in channels):
        from .statuspage import page_updates

        for channel in channels:
            if isinstance(channel, StatusPageChannel):
                history[channel.name] = page_updates(earlier_entries or [], channel.name)
    secrets = routing.secrets()
    _Redacting.secrets.update(secrets)
    receipts = list(await asyncio.gather(*(
        deliver_one(c, outgoing, gateway=gateway, page_history=history.get(c.name), policy=policy, sleep=sleep,
                    secrets=secrets) for c in channels)))
    results = {r.channel: r.body() for r in receipts}
    sent_body = {**outgoing.body(), "requested_seq": requested.seq, "results": results,
                 "delivered": [r.channel for r in receipts if r.ok],
                 "failed": [r.channel for r in receipts if not r.ok]}
    try:
        sent = await record(kinds.COMMS_SENT, sent_body, incident=outgoing.incident, occurred_at=outgoing.sent_at)
    except Exception as error:
        return Journaled(requested, None, receipts, redact(str(error), secrets))
    return Journaled(requested, sent, receipts, "")

"""Delivery through real receivers on 127.0.0.1: journaled before and after, retried when transient, never twice,
no secret in the journal."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from warroom.console import comms, notify
from warroom.console.config import load_config
from warroom.console.delivery import RetryPolicy
from warroom.console.journal import kinds
from warroom.console.session import WarRoom
from warroom.console.timefmt import utc_now

from .conftest import SMTP_PASSWORD, WEBHOOK_TOKEN, environ_for, routing_config, write_config

INCIDENT = "INC-20261204-01"
FAST = RetryPolicy(attempts=3, backoff=0.01)


async def open_room(tmp_path: Path, config_text: str, environ: dict[str, str]) -> WarRoom:
    config = load_config(write_config(tmp_path, config_text),
                         overrides={"journal": str(tmp_path / "journal.db")}, environ=environ)
    warroom = await WarRoom.open(config)
    await warroom.record(kinds.INCIDENT_DECLARED, {"title": "Mail delayed for external recipients",
                                                   "category": "service-outage", "services": ["Exchange Online"]},
                         incident=INCIDENT, occurred_at=utc_now() - timedelta(minutes=20))
    await warroom.record(kinds.INCIDENT_SEVERITY, {"severity": "SEV2"}, incident=INCIDENT)
    return warroom


async def send(warroom: WarRoom, text: str = "Mail is delayed. Next update soon.\n", *, audience="stakeholders",
               kind="initial", policy=FAST):
    incident = warroom.book.incidents[INCIDENT]
    prepared = await notify.prepare(warroom, incident, kind, audience)
    message = notify.outgoing(warroom, incident, prepared, kind, audience, prepared.rendered.subject, text)
    return message, await notify.send(warroom, message, policy=policy)


async def test_a_message_reaches_every_channel_and_the_journal_holds_it_before_and_after(
        tmp_path, smtp_server, http_receiver):
    warroom = await open_room(tmp_path, routing_config(tmp_path, smtp_server, http_receiver),
                              environ_for(http_receiver))
    try:
        message, result = await send(warroom)
        assert [r.ok for r in result.receipts] == [True, True, True], [r.line() for r in result.receipts]
        entries = await warroom.journal.entries(incident=INCIDENT, kinds=[kinds.COMMS_REQUESTED, kinds.COMMS_SENT])
    finally:
        await warroom.close()
    requested, sent = entries
    assert requested.kind == kinds.COMMS_REQUESTED and sent.kind == kinds.COMMS_SENT
    assert requested.seq < sent.seq and sent.body["requested_seq"] == requested.seq
    assert requested.body["channels"] == ["relay", "chat", "page"]
    assert sent.body["text"] == message.text and sent.body["recipients"] == ["it-leads@example.com",
                                                                            "ciso@example.com"]
    assert sent.body["number"] == 1 and sent.body["delivered"] == ["relay", "chat", "page"]
    # What each channel answered: our Message-ID and the SMTP server's final reply, the HTTP status, the page.
    relay = sent.body["results"]["relay"]
    assert relay["message_id"] == message.message_id and relay["smtp_reply"].startswith("250 2.0.0 Ok")
    assert sent.body["results"]["chat"]["status"] == 200
    assert sent.body["results"]["page"]["path"] == str(tmp_path / "status" / "index.html")
    # The mail arrived once, to the audience, with the incident id in the subject, authenticated.
    assert smtp_server.logins == ["warroom"]
    [mail] = smtp_server.messages
    assert mail["Subject"].startswith(f"[{INCIDENT}] [SEV2] INCIDENT NOTIFICATION:")
    assert mail["Message-ID"] == message.message_id
    assert sorted(smtp_server.envelopes[0].rcpt_tos) == ["ciso@example.com", "it-leads@example.com"]
    assert mail.get_content().replace("\r\n", "\n") == message.text
    [hook] = http_receiver.bodies
    assert hook["incident"] == INCIDENT and hook["text"] == message.text and hook["subject"] == message.subject
    # The banner counts from the moment of sending, as the notice does.
    incident = warroom.book.incidents[INCIDENT]
    assert incident.next_update_due({"SEV2": 60}) == message.next_update_due == message.sent_at + timedelta(hours=1)


async def test_no_secret_reaches_the_journal_or_a_log(tmp_path, smtp_server, http_receiver, caplog):
    caplog.set_level(logging.DEBUG)
    http_receiver.script = [(500, {})] * 5          # the webhook keeps failing: its error is journaled
    warroom = await open_room(tmp_path, routing_config(tmp_path, smtp_server, http_receiver),
                              environ_for(http_receiver))
    try:
        _, result = await send(warroom)
        entries = await warroom.journal.entries()
    finally:
        await warroom.close()
    assert not result.receipts[1].ok
    everything = json.dumps([e.body for e in entries]) + caplog.text + " ".join(r.line() for r in result.receipts)
    assert SMTP_PASSWORD not in everything and WEBHOOK_TOKEN not in everything
    assert repr(warroom.config.routing.channels["relay"]).count(SMTP_PASSWORD) == 0
    assert WEBHOOK_TOKEN not in repr(warroom.config)


async def test_transient_failures_are_retried_and_nothing_arrives_twice(tmp_path, smtp_server, http_receiver):
    smtp_server.defer_data = 1                                          # 451 once, then accepted
    http_receiver.script = [(503, {}), (429, {"Retry-After": "0"})]     # then 200
    warroom = await open_room(tmp_path, routing_config(tmp_path, smtp_server, http_receiver),
                              environ_for(http_receiver))
    try:
        _, result = await send(warroom)
    finally:
        await warroom.close()
    relay, chat, _ = result.receipts
    assert relay.ok and relay.attempts == 2 and len(smtp_server.messages) == 1
    assert chat.ok and chat.attempts == 3 and len(http_receiver.requests) == 3
    assert http_receiver.bodies[0] == http_receiver.bodies[2]       # the same message each time


async def test_a_channel_that_may_have_taken_the_message_is_not_sent_it_again(tmp_path, http_receiver):
    http_receiver.script = ["drop"]          # reads the request, then hangs up without an answer
    warroom = await open_room(tmp_path, routing_config(tmp_path, None, http_receiver), environ_for(http_receiver))
    try:
        _, result = await send(warroom)
    finally:
        await warroom.close()
    chat, page = result.receipts
    assert not chat.ok and "may have arrived" in chat.detail and chat.attempts == 1
    assert len(http_receiver.requests) == 1 and page.ok


async def test_a_partial_failure_is_journaled_and_the_others_still_deliver(tmp_path, smtp_server, http_receiver):
    smtp_server.refuse_data = True           # 554: permanent, not retried
    warroom = await open_room(tmp_path, routing_config(tmp_path, smtp_server, http_receiver),
                              environ_for(http_receiver))
    try:
        _, result = await send(warroom)
        [sent] = await warroom.journal.entries(kinds=[kinds.COMMS_SENT])
    finally:
        await warroom.close()
    relay, chat, page = result.receipts
    assert not relay.ok and relay.attempts == 1 and "554" in relay.detail
    assert chat.ok and page.ok and len(http_receiver.requests) == 1
    assert sent.body["failed"] == ["relay"] and sent.body["results"]["relay"]["ok"] is False
    assert sent.body["delivered"] == ["chat", "page"]


async def test_an_update_nobody_got_does_not_restart_the_countdown(tmp_path):
    config = (f'[channels.chat]\nkind = "webhook"\nurl_env = "HOOK"\n'
              f'[channels.page]\nkind = "statuspage"\nfolder = "{tmp_path / "file"}"\n'
              '[audiences.stakeholders]\nchannels = ["chat", "page"]\n')
    (tmp_path / "file").write_text("a file where the page's folder should be", encoding="utf-8")
    warroom = await open_room(tmp_path, config, {"HOOK": "http://127.0.0.1:9/hook"})   # nothing listens on 9
    try:
        due_before = warroom.book.incidents[INCIDENT].next_update_due({"SEV2": 60})
        _, result = await send(warroom, policy=RetryPolicy(attempts=2, backoff=0.01))
        [sent] = await warroom.journal.entries(kinds=[kinds.COMMS_SENT])
    finally:
        await warroom.close()
    assert [r.ok for r in result.receipts] == [False, False]
    assert result.receipts[0].attempts == 2          # connection refused is transient: retried, then given up
    assert sent.body["delivered"] == []
    incident = warroom.book.incidents[INCIDENT]
    assert incident.updates_sent == [] and incident.next_update_due({"SEV2": 60}) == due_before


async def test_numbering_is_per_audience(tmp_path, http_receiver):
    config = ('[channels.chat]\nkind = "webhook"\nurl_env = "WARROOM_CHAT_WEBHOOK"\n'
              '[audiences.stakeholders]\nchannels = ["chat"]\n[audiences.technical]\nchannels = ["chat"]\n')
    warroom = await open_room(tmp_path, config, environ_for(http_receiver))
    try:
        first, _ = await send(warroom, audience="stakeholders")
        second, _ = await send(warroom, audience="stakeholders", kind="progress")
        technical, _ = await send(warroom, audience="technical", kind="progress")
        incident = warroom.book.incidents[INCIDENT]
        prepared = await notify.prepare(warroom, incident, "progress", "stakeholders")
    finally:
        await warroom.close()
    assert (first.number, second.number, technical.number) == (1, 2, 1)
    assert "UPDATE 3" in prepared.rendered.subject and "INCIDENT UPDATE 3" in prepared.rendered.text


async def test_the_graph_channel_sends_through_the_simulated_tenant(tmp_path, simulated_tenant):
    from warroom.console.graph.connect import connect

    config = ('[channels.m365]\nkind = "graph"\nsender = "admin@contoso.onmicrosoft.com"\n'
              '[audiences.management]\nto = ["ceo@contoso.com"]\nchannels = ["m365"]\n')
    config_file = write_config(tmp_path, config)
    loaded = load_config(config_file, overrides={"journal": str(tmp_path / "journal.db"),
                                                 "graph.url": simulated_tenant.base_url}, environ={})
    warroom = await WarRoom.open(loaded)
    await warroom.record(kinds.INCIDENT_DECLARED, {"title": "t", "category": "service-outage"}, incident=INCIDENT)
    gateway = await connect(loaded)
    try:
        incident = warroom.book.incidents[INCIDENT]
        prepared = await notify.prepare(warroom, incident, "initial", "management")
        message = notify.outgoing(warroom, incident, prepared, "initial", "management", "Briefing", "Text.\n")
        result = await notify.send(warroom, message, gateway=gateway, policy=FAST)
    finally:
        await gateway.close()
        await warroom.close()
    [receipt] = result.receipts
    assert receipt.ok and receipt.fields["status"] == 202, receipt.line()
    [(_, mail)] = simulated_tenant.state.mail_sent
    assert mail["subject"] == f"[{INCIDENT}] Briefing" and mail["toRecipients"][0]["emailAddress"]["address"] == \
        "ceo@contoso.com"


async def test_without_graph_the_graph_channel_fails_and_says_why(tmp_path, http_receiver):
    config = ('[channels.m365]\nkind = "graph"\nsender = "desk@contoso.com"\n'
              '[channels.chat]\nkind = "webhook"\nurl_env = "WARROOM_CHAT_WEBHOOK"\n'
              '[audiences.technical]\nto = ["oncall@contoso.com"]\nchannels = ["m365", "chat"]\n')
    warroom = await open_room(tmp_path, config, environ_for(http_receiver))
    try:
        _, result = await send(warroom, audience="technical")
    finally:
        await warroom.close()
    m365, chat = result.receipts
    assert not m365.ok and "not connected" in m365.detail and chat.ok


@pytest.mark.parametrize("placeholder_kind", ["initial"])
async def test_the_draft_names_its_placeholders(tmp_path, http_receiver, placeholder_kind):
    warroom = await open_room(tmp_path, routing_config(tmp_path, None, http_receiver), environ_for(http_receiver))
    try:
        incident = warroom.book.incidents[INCIDENT]
        prepared = await notify.prepare(warroom, incident, placeholder_kind, "stakeholders")
    finally:
        await warroom.close()
    left = comms.unfilled(prepared.rendered.text, prepared.rendered.placeholders)
    assert "[immediate steps]" in left and "[precautions]" in left
    assert "[SEV2]" not in left
    filled = prepared.rendered.text
    for name in left:
        filled = filled.replace(name, "done")
    assert comms.unfilled(filled, prepared.rendered.placeholders) == []


async def test_the_report_lists_each_message_with_its_real_channels_and_results(tmp_path, smtp_server,
                                                                                http_receiver):
    from warroom.console.journal_reader import describe_entry
    from warroom.console.report import report_and_verdict

    smtp_server.refuse_data = True
    warroom = await open_room(tmp_path, routing_config(tmp_path, smtp_server, http_receiver),
                              environ_for(http_receiver))
    try:
        await send(warroom)
        [sent] = await warroom.journal.entries(kinds=[kinds.COMMS_SENT])
    finally:
        await warroom.close()
    report, _ = report_and_verdict(tmp_path / "journal.db", INCIDENT, "md", cadence={"SEV2": 60})
    report = report.replace("\\", "")
    assert "relay (smtp): FAILED: the server refused the message: 554 5.7.1 Message refused" in report
    assert "chat (webhook): delivered: HTTP 200 OK" in report and "page (statuspage): delivered" in report
    assert "it-leads@example.com, ciso@example.com" in report and "initial #1" in report
    assert describe_entry(sent).startswith("to stakeholders (initial #1), delivered via chat, page; FAILED via relay")


def _starttls_config(server, ca_file: Path | None) -> str:
    ca = f'ca_file = "{ca_file}"\n' if ca_file else ""
    return (f'[channels.relay]\nkind = "smtp"\nhost = "{server.host}"\nport = {server.port}\nsecurity = "starttls"\n'
            f'from = "warroom@example.net"\nusername = "warroom"\npassword_env = "WARROOM_SMTP_PASSWORD"\n{ca}'
            '[audiences.technical]\nto = ["oncall@example.net"]\nchannels = ["relay"]\n')


async def test_starttls_with_a_private_ca_then_authentication(tmp_path, starttls_server, tls_files):
    warroom = await open_room(tmp_path, _starttls_config(starttls_server, tls_files[0]), environ_for(None))
    try:
        _, result = await send(warroom, audience="technical")
    finally:
        await warroom.close()
    [relay] = result.receipts
    assert relay.ok, relay.line()
    assert starttls_server.logins == ["warroom"] and len(starttls_server.messages) == 1


async def test_a_certificate_nobody_vouches_for_is_refused_and_nothing_is_sent(tmp_path, starttls_server):
    warroom = await open_room(tmp_path, _starttls_config(starttls_server, None), environ_for(None))
    try:
        _, result = await send(warroom, audience="technical")
    finally:
        await warroom.close()
    [relay] = result.receipts
    assert not relay.ok and relay.attempts == 1 and "TLS with 127.0.0.1 failed" in relay.detail
    assert not starttls_server.logins and not starttls_server.messages and SMTP_PASSWORD not in relay.detail


async def test_a_relay_that_offers_no_starttls_is_not_sent_plain_text(tmp_path, smtp_server):
    warroom = await open_room(tmp_path, _starttls_config(smtp_server, None), environ_for(None))
    try:
        _, result = await send(warroom, audience="technical")
    finally:
        await warroom.close()
    [relay] = result.receipts
    assert not relay.ok and "does not offer STARTTLS" in relay.detail and not smtp_server.messages

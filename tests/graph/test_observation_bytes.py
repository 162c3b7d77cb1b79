"""The journal's observation entries, byte for byte, for Graph pages as hostile as Graph's data can be.

Pages are served as exact bytes by a server on 127.0.0.1 and read by the real gateway and watcher into a real
journal; the entries' bodies are held to texts recorded from the watcher as it was before the ingest path was
made faster (their SHA-256 below), so any change to what an observation journals fails here.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from warroom.console.clouds import resolve
from warroom.console.graph.auth import Session
from warroom.console.graph.gateway import open_gateway
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.journal import canonical_json, kinds, open_journal

from .helpers import NumberedTokens

COLLECTION = "/v1.0/security/alerts_v2"

# Each alert as the JSON text Graph might send: odd spacing, escapes, floats written every way, integers up to 18
# digits, keys that sort oddly or repeat, text that looks like a float or a secret, nesting and empty containers.
FIRST_PAGE = [
    '{"id":"da1","title":"Phish \u00e9 \\u00e9 \\ud83d\\ude00","severity":"High","status":"new",'
    '"lastUpdateDateTime":"2026-11-24T14:00:00Z","createdDateTime":"2026-11-24T13:59:00.123Z",'
    '"evidence":[{"userAccount":{"userPrincipalName":"megan@contoso.com"}},{"ipAddress":"203.0.113.9"},"text",7],'
    '"mitreTechniques":["T1566.002","T1078"],"comments":[],"additionalData":{}}',
    '{ "id" : "da2" , "title" : "ctl \\u0000\\u001f\\b\\f\\n\\r\\t \\u007f \\u2028\\u2029 \\"q\\" \\\\ \\/" ,'
    ' "lastUpdateDateTime" : "2026-11-24T14:00:01Z" }',
    '{"id":"da3","score":1.5,"tiny":1e-7,"big":1E+16,"neg":-0.0,"whole":2.0,"e":5e-324}',
    '{"id":"da4","count":922337203685477580,"low":-922337203685477580,"zero":-0,"big":100000000000000000}',
    '{"id":"da5","text":"1,000.5 and \\":1.5 and 1e5","list":[1,2,3],"nested":{"z":{"y":[{"x":null,"w":true}]}}}',
    '{"id":"da6","title":"first","title":"repeated key: the last one counts","\u00e9t\u00e9":1,"Zed":2,"a b":3,'
    '"\\"quoted\\"":4,"":5,"\\u00e9t\\u00e9\\u0000":6}',
    '{"id":"da7","description":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",'
    '"lastUpdateDateTime":"2026-11-24T14:00:02Z"}',
    '{"id":"da8","clientSecret":"hunter2hunter2","title":"a secret-named field"}',
    '{"id":8,"title":"a number for an id"}',
    '{"id":"da \\"9\\" \\u2028 \\u00e9 1,2.5","title":"an id that needs escaping"}',
    '{"title":"no id: not journaled"}',
    '{"id":"da10","severity":"unknownFutureValue","status":"ServiceOperational","incidentId":"7001",'
    '"lastUpdateDateTime":"not a date","createdDateTime":12}',
    '{"id":"da11","providerAlertId":"da637551227677560813_-961444813","detail":"1E5 and [1.5] and {\\"a\\":-2e3}"}',
    '{"id":"da12","title":"A \U0001f600 \u202e \ufeff \uffff"}',
]
# Sent in UTF-16, which orjson refuses and Python reads: the page is read by json.
SECOND_PAGE = [
    '{"id":"db1","title":"UTF-16 \\u00e9 \\ud83d\\ude00 \u00e9","count":18446744073709551615}',
    '{"id":"db2","title":"plain","score":2.5,"list":[1.0,-1e-300]}',
    '{"id":"db3","title":"plain"}',
]
# A run of 19 digits or more (integers at the edge of 64 bits, a long fraction, a number in text): read by json.
THIRD_PAGE = [
    '{"id":"dd1","count":9223372036854775807,"unsigned":18446744073709551615,"low":-9223372036854775808}',
    '{"id":"dd2","long":0.1000000000000000055511151231257827}',
    '{"id":"dd3","providerAlertId":"1234567890123456789012345"}',
]
ENCODINGS = {id(SECOND_PAGE): "utf-16"}
# The next poll: some objects changed (a patch or the whole object again), some not, one new.
CHANGED_PAGE = [
    FIRST_PAGE[0].replace('"status":"new"', '"status":"inProgress"'),
    FIRST_PAGE[1],
    FIRST_PAGE[2].replace('"score":1.5', '"score":null'),
    FIRST_PAGE[4].replace('"list":[1,2,3]', '"list":[1,2]'),
    FIRST_PAGE[5].replace('"Zed":2', '"Zed":{"a":"b"}'),
    FIRST_PAGE[7].replace("a secret-named field", "still secret-named"),
    '{"id":"dc1","title":"new on the second poll \u00e9"}',
    '{"id":"dc2","title":"new","nested":{"a":[{"b":"c"}]}}',
]


def _page(items: list[str], link: str | None) -> bytes:
    more = f',"@odata.nextLink":{json.dumps(link)}' if link else ""
    text = '{"@odata.context":"x","value":[\n ' + ",\n ".join(items) + "\n]" + more + "}"
    return text.encode(ENCODINGS.get(id(items), "utf-8"))


class _Graph:
    """Serves the alert pages given, as bytes, following `$skiptoken` (one number a page)."""

    def __init__(self) -> None:
        self.pages: list[list[str]] = []
        self.url = ""
        self.queries: list[dict[str, list[str]]] = []

    def body(self, query: str) -> bytes:
        self.queries.append(parse_qs(query))
        token = parse_qs(query).get("$skiptoken", ["0"])[0]
        number = int(token)
        link = f"{self.url}{COLLECTION}?$skiptoken={number + 1}" if number + 1 < len(self.pages) else None
        return _page(self.pages[number], link)


@pytest.fixture
def graph() -> Iterator[_Graph]:
    served = _Graph()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != COLLECTION:
                self.send_error(404)
                return
            body = served.body(parts.query)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


async def _journaled(graph: _Graph, tmp_path: Any, *, simulated: bool) -> list[str]:
    """The observation bodies a first full poll and then a second poll journal, as stored."""
    gateway = await open_gateway(resolve("global", graph.url), Session(NumberedTokens(), "test"))
    async with gateway, await open_journal(tmp_path / f"j{simulated}.db", actor="test") as journal:
        watcher = TenantWatcher(gateway, journal, LiveState(), sources=["alerts"], simulated=simulated)
        graph.pages = [FIRST_PAGE, SECOND_PAGE, THIRD_PAGE]
        await watcher.poll_once("alerts")
        assert "alerts" not in watcher.last_error, watcher.last_error
        graph.pages = [CHANGED_PAGE]
        await watcher.poll_once("alerts")
        assert "alerts" not in watcher.last_error, watcher.last_error
        entries = await journal.entries(kinds=[kinds.OBSERVATION])
        assert (await journal.verify()).ok
    return [entry.body_text for entry in entries]


# sha256 of the bodies joined by newlines, and how many there are: recorded from the watcher before it was changed.
EXPECTED = {
    False: (26, "b98c29bde444563df3ac9500ca76f7819cbec028adffdb55a68906fbf5294d7a"),
    True: (26, "5447a7139216dd959d3a4fd7dca661ec83045fcbd9231b1ed29c517236ea54e8"),
}


@pytest.mark.parametrize("simulated", [False, True])
async def test_observations_are_journaled_byte_for_byte_as_before(graph, tmp_path, simulated):
    texts = await _journaled(graph, tmp_path, simulated=simulated)
    for text in texts:
        assert canonical_json(json.loads(text)) == text          # stored canonical, whichever encoder wrote it
    digest = hashlib.sha256("\n".join(texts).encode("utf-8", "surrogatepass")).hexdigest()
    assert (len(texts), digest) == EXPECTED[simulated], "\n".join(texts)


async def test_what_only_python_reads_is_journaled_as_graph_wrote_it_or_not_at_all(graph, tmp_path):
    """An integer past 64 bits keeps its digits (orjson would read it as a float); a NaN, an infinity or a lone
    surrogate is never journaled as something else (a null)."""
    odd = ['{"id":"dn1","score":NaN}', '{"id":"dn2","score":1e400}', '{"id":"dn3","title":"lone \\ud800"}']
    gateway = await open_gateway(resolve("global", graph.url), Session(NumberedTokens(), "test"))
    async with gateway, await open_journal(tmp_path / "j.db", actor="test") as journal:
        state = LiveState()
        graph.pages = [['{"id":"dh1","huge":123456789012345678901234567890,"low":-9999999999999999999}']]
        await TenantWatcher(gateway, journal, state, sources=["alerts"]).poll_once("alerts")
        for item in odd:        # each by a watcher of its own: a failed poll's retry waits out its backoff
            graph.pages = [[item]]
            await TenantWatcher(gateway, journal, LiveState(), sources=["alerts"]).poll_once("alerts")
        bodies = [entry.body for entry in await journal.entries(kinds=[kinds.OBSERVATION])]
    assert bodies[0]["data"] == {"id": "dh1", "huge": 123456789012345678901234567890, "low": -9999999999999999999}
    assert state.alerts["dh1"].raw["huge"] == 123456789012345678901234567890
    withheld = {body["key"]: body["data"] for body in bodies[1:]}
    assert sorted(withheld) == ["dn1", "dn2", "dn3"]        # journaled, never as a null or another value
    assert all(set(data) == {"id", "withheld"} and "not plain JSON" in data["withheld"] for data in withheld.values())


async def test_one_alert_the_journal_cannot_hold_never_keeps_its_page_out_of_the_journal(graph, tmp_path):
    """A page with a NaN or a lone surrogate in one alert: the others are journaled, that one withheld with why,
    and the poll succeeds (nothing left to journal again at the next poll)."""
    gateway = await open_gateway(resolve("global", graph.url), Session(NumberedTokens(), "test"))
    async with gateway, await open_journal(tmp_path / "j.db", actor="test") as journal:
        state = LiveState()
        graph.pages = [['{"id":"ok1","title":"fine"}', '{"id":"bad1","title":"lone \\udc00"}',
                        '{"id":"bad2","score":NaN}', '{"id":"ok2","title":"also fine"}']]
        watcher = TenantWatcher(gateway, journal, state, sources=["alerts"])
        await watcher.poll_once("alerts")
        bodies = {entry.body["key"]: entry.body["data"] for entry in await journal.entries(kinds=[kinds.OBSERVATION])}
        await watcher.poll_once("alerts")
        again = len(await journal.entries(kinds=[kinds.OBSERVATION]))
    assert bodies["ok1"] == {"id": "ok1", "title": "fine"} and bodies["ok2"] == {"id": "ok2", "title": "also fine"}
    assert "not plain JSON" in bodies["bad1"]["withheld"] and "not plain JSON" in bodies["bad2"]["withheld"]
    assert sorted(state.alerts) == ["bad1", "bad2", "ok1", "ok2"]      # all four shown
    assert again == 4                                                     # the next poll journals nothing again


async def test_an_alert_whose_id_the_journal_cannot_hold_is_withheld_under_a_key_it_can(graph, tmp_path):
    """A lone surrogate in an alert's id (.NET writes them): that alert is journaled withheld under its id with the
    surrogate written as an escape, and shown under that key; the page's other alerts are journaled, the next
    poll journals nothing again, and once Graph no longer lists it the journal says it is gone."""
    lone = '{"id":"x\\udc00y","title":"lone id \\ud800"}'
    gateway = await open_gateway(resolve("global", graph.url), Session(NumberedTokens(), "test"))
    async with gateway, await open_journal(tmp_path / "j.db", actor="test") as journal:
        state = LiveState()
        watcher = TenantWatcher(gateway, journal, state, sources=["alerts"])
        graph.pages = [['{"id":"ok1","title":"fine"}', lone, '{"id":"ok2","title":"also fine"}']]
        await watcher.poll_once("alerts")
        assert "alerts" not in watcher.last_error, watcher.last_error
        first = [entry.body for entry in await journal.entries(kinds=[kinds.OBSERVATION])]
        await watcher.poll_once("alerts")
        assert "alerts" not in watcher.last_error, watcher.last_error
        again = len(await journal.entries(kinds=[kinds.OBSERVATION]))
        shown = dict(state.alerts)
        graph.pages = [['{"id":"ok1","title":"fine"}', '{"id":"ok2","title":"also fine"}']]
        await watcher.poll_once("alerts")
        assert "alerts" not in watcher.last_error, watcher.last_error
        last = (await journal.entries(kinds=[kinds.OBSERVATION]))[-1].body
        assert (await journal.verify()).ok
    bodies = {body["key"]: body["data"] for body in first}
    assert sorted(bodies) == ["ok1", "ok2", "x\\udc00y"]
    assert bodies["x\\udc00y"]["id"] == "x\\udc00y" and "not plain JSON" in bodies["x\\udc00y"]["withheld"]
    assert sorted(shown) == ["ok1", "ok2", "x\\udc00y"] and shown["x\\udc00y"].id == "x\\udc00y"
    assert shown["x\\udc00y"].title == "lone id \ud800"         # as Graph sent it: the screen shows it escaped
    assert again == 3
    assert (last["key"], last["data"]) == ("x\\udc00y", None)


def test_a_draft_s_text_is_journaled_as_given_and_still_checked_for_secrets():
    from warroom.console.journal import Draft
    from warroom.console.journal.errors import SecretRefused
    from warroom.console.journal.records import prepare

    body = {"data": {"id": "a"}, "key": "a"}
    given = '{"data":{"id":"a"},"key":"a"}'
    assert prepare(Draft(kinds.OBSERVATION, body, body_text=given), "t").body_text is given     # not encoded again
    assert prepare(Draft(kinds.OBSERVATION, body), "t").body_text == given
    secret = {"data": {"id": "a", "password": "hunter2hunter2"}, "key": "a"}
    with pytest.raises(SecretRefused):
        prepare(Draft(kinds.OBSERVATION, secret, body_text=canonical_json(secret)), "t")
    assert Draft("note", {"a": 1}) == Draft("note", {"a": 1}, body_text='{"a":1}')     # the text is not a field


async def test_the_next_poll_asks_from_the_newest_change_seen_never_from_a_future_one(graph, tmp_path):
    from datetime import timedelta

    from warroom.console.timefmt import to_iso, utc_now

    soon, later = to_iso(utc_now() + timedelta(minutes=2)), to_iso(utc_now() + timedelta(minutes=30))
    page = [f'{{"id":"dw{n}","lastUpdateDateTime":{json.dumps(value)}}}' for n, value in enumerate(
        ["2026-11-24T14:00:00Z", soon, later, "not a time", "2026-11-24T15:00:00.5+01:00", 7, None])]
    gateway = await open_gateway(resolve("global", graph.url), Session(NumberedTokens(), "test"))
    async with gateway, await open_journal(tmp_path / "j.db", actor="test") as journal:
        watcher = TenantWatcher(gateway, journal, LiveState(), sources=["alerts"])
        graph.pages = [page[:1], page[1:]]
        await watcher.poll_once("alerts")
        await watcher.poll_once("alerts")
    assert [query["$filter"] for query in graph.queries if "$filter" in query] == [[f"lastUpdateDateTime ge {soon}"]]

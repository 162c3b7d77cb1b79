"""The live ingest path's pieces: the change digest, and reading one page ahead while a page is ingested."""

from __future__ import annotations

import asyncio
import json

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from warroom.console.graph.errors import PagingCut
from warroom.console.graph.live import digest_of, read_ahead
from warroom.console.journal import encoding
from warroom.console.journal.encoding import canonical_json
from warroom.console.timefmt import from_iso

SCALARS = st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=8)
NAMES = st.sampled_from(["id", "status", "severity", "title", "evidence", "assignedTo", "lastUpdateDateTime", "a"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=4),
                      max_leaves=12)
OBJECTS = st.dictionaries(NAMES, VALUES, max_size=8)


def test_a_digest_ignores_key_order_and_sees_every_value():
    one = {"id": "a", "evidence": [{"ip": "1.2.3.4", "roles": []}], "title": "Phish é"}
    same = {"title": "Phish é", "evidence": [{"roles": [], "ip": "1.2.3.4"}], "id": "a"}
    assert digest_of(one) == digest_of(same)
    assert digest_of(one) != digest_of({**one, "title": "Phish e"})
    assert digest_of({"a": None}) != digest_of({"a": ""})


@pytest.mark.parametrize("odd", [{"big": 2 ** 70}, {"lone": "\ud800"}, {1: "int key"}])
def test_what_the_fast_encoder_refuses_still_has_a_digest(odd):
    """Hostile JSON Python reads (huge integers, lone surrogates): digested, never an error that stops a poll."""
    assert len(digest_of(odd)) == 32
    assert digest_of(odd) == digest_of(dict(odd))


async def _pages(log: list[str], count: int, fail_after: int | None = None):
    try:
        for number in range(1, count + 1):
            log.append(f"request {number}")
            await asyncio.sleep(0)
            if fail_after is not None and number > fail_after:
                raise PagingCut("cut", pages=fail_after)
            yield [number]
    finally:
        log.append("closed")


async def test_the_next_page_is_requested_while_this_one_is_ingested():
    log: list[str] = []
    seen = []
    async for page in read_ahead(_pages(log, 3)):
        await asyncio.sleep(0.01)          # ingesting: the next request is already out
        seen.append(page[0])
        log.append(f"ingested {page[0]}")
    assert seen == [1, 2, 3]
    assert log.index("request 2") < log.index("ingested 1")
    assert log.count("closed") == 1


async def test_an_error_comes_after_the_pages_before_it():
    seen = []
    with pytest.raises(PagingCut):
        async for page in read_ahead(_pages([], 5, fail_after=2)):
            seen.append(page[0])
    assert seen == [1, 2]


async def test_stopping_early_closes_the_pages_and_leaves_no_request_running():
    log: list[str] = []
    reader = read_ahead(_pages(log, 10))
    async for page in reader:
        if page[0] == 2:
            break
    await reader.aclose()
    assert log[-1] == "closed" and "request 4" not in log
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


def _graph_alert(**extra):
    return {"id": "da1", "title": "Phish", "severity": "High", "status": "new", "category": "InitialAccess",
            "serviceSource": "microsoftDefenderForEndpoint", "detectionSource": "microsoftDefenderForEndpoint",
            "createdDateTime": "2026-11-24T14:00:00Z", "assignedTo": "lee@contoso.com",
            "classification": "truePositive",
            "evidence": [{"@odata.type": "#microsoft.graph.security.userEvidence",
                          "userAccount": {"userPrincipalName": "megan@contoso.com"}}, "not an object",
                         {"ipAddress": "203.0.113.9", "note": "\u202eevil"}],
            "comments": [{"comment": "x" * 5000}], **extra}


def test_an_alert_row_holds_nothing_the_garbage_collector_walks():
    import gc

    from warroom.console.graph.models import Alert
    from warroom.widgets.alerts import AlertRow

    row = AlertRow.from_alert(Alert.from_graph(_graph_alert()))
    gc.collect()
    assert [type(part) for part in gc.get_referents(row) if gc.is_tracked(part) and part is not AlertRow] == []
    assert row.watched_by(frozenset({"203.0.113.9", "nobody"})) == ["203.0.113.9"]


def test_an_alert_keeps_graph_s_object_as_bytes_the_garbage_collector_does_not_walk():
    import gc

    from warroom.console.graph.models import Alert, compact_json

    data = _graph_alert(description="Sign-in from\nan unusual place", alertWebUrl="https://security.microsoft.com/a")
    alert = Alert.from_graph(data)
    gc.collect()
    assert [part for part in alert if gc.is_tracked(part)] == []
    assert alert.raw == data and alert.raw is not alert.raw          # parsed anew: a caller's change changes nothing
    assert alert.graph_json == compact_json(data) and len(alert.packed_json) < len(alert.graph_json)
    assert alert.evidence == tuple(item for item in data["evidence"] if isinstance(item, dict))
    assert (alert.description, alert.web_url) == (data["description"], data["alertWebUrl"])
    assert (Alert.from_graph({"id": "da2"}).description, Alert.from_graph({"id": "da2"}).web_url) == ("", "")
    assert alert.users == ("megan@contoso.com",) and alert.ips == ("203.0.113.9",)
    assert Alert.from_graph({**data, "evidence": "not a list"}).evidence == ()
    assert alert == Alert.from_graph(dict(reversed(data.items())))      # equal when Graph said the same
    other = Alert.from_graph(orjson.loads(orjson.dumps({**data, "serviceSource": "microsoftDefenderForEndpoint"})))
    assert other.category is alert.category and other.service_source is alert.detection_source  # kept once
    # What thousands of alerts repeat (their incident, the accounts and addresses named, the techniques) is kept
    # once, however many separately parsed alerts name it.
    first, second = (Alert.from_graph(orjson.loads(orjson.dumps(
        {**data, "id": f"da{n}", "incidentId": "7001", "mitreTechniques": ["T1566.002"]}))) for n in (2, 3))
    assert first.incident_id == "7001" and first.mitre_techniques == ("T1566.002",) and first.ips == alert.ips
    for name in ("incident_id", "mitre_techniques", "users", "ips"):
        assert getattr(first, name) is getattr(second, name), name
    # an alert not updated since it was raised keeps one moment for both; an updated one, each its own
    raised = Alert.from_graph({**data, "lastUpdateDateTime": data["createdDateTime"]})
    assert raised.last_updated is raised.created and raised.created == from_iso(data["createdDateTime"])
    updated = Alert.from_graph({**data, "lastUpdateDateTime": "2026-11-24T15:00:00Z"})
    assert updated.last_updated == from_iso("2026-11-24T15:00:00Z") and updated.created == raised.created
    assert Alert.from_graph({"id": "da9"}).last_updated is None


@settings(max_examples=150, deadline=None)
@given(OBJECTS, OBJECTS)
def test_a_change_is_journaled_against_the_slim_alert_as_against_graph_s_object(old, new):
    """The watcher keeps an alert as bytes, not Graph's dicts: the merge patch it journals for a change is the one
    the object itself gives (replay rebuilds the new version from it exactly)."""
    from warroom.console.graph.live import LiveState, TenantWatcher, _parse
    from warroom.console.graph.sources import SOURCES
    from warroom.console.observations import Replay, observation_body

    old, new = {**old, "id": "A1"}, {**new, "id": "A1"}
    record = _parse(SOURCES["alerts"], old)
    assume(record is not None)
    state = LiveState()
    state.digests["alerts"]["A1"] = bytes.fromhex(digest_of(old))
    watcher = TenantWatcher.__new__(TenantWatcher)      # only its state is used: no gateway, no journal
    watcher.state = state
    previous = watcher._previous("alerts", "A1", {"A1": record})
    assert canonical_json(previous[0]) == canonical_json(old) and previous[1] == digest_of(old)
    body = observation_body("alerts", "A1", digest_of(new), new, *previous)
    assert body == observation_body("alerts", "A1", digest_of(new), new, old, digest_of(old))
    replay = Replay()
    replay.feed(observation_body("alerts", "A1", digest_of(old), old))
    assert canonical_json(replay.feed(body).data) == canonical_json(new)
    state.digests["alerts"]["A1"] = bytes.fromhex(digest_of({**old, "title": "another version"}))
    assert watcher._previous("alerts", "A1", {"A1": record}) == (None, None)    # journaled whole, never guessed


@settings(max_examples=150, deadline=None)
@given(OBJECTS)
def test_an_alert_gives_back_exactly_the_json_it_packed(data):
    """Whatever Graph sent (hostile JSON included), the alert's unpacked text is the object's `compact_json`: what
    its digest, its detail screen and the patch of its next change are made from."""
    from warroom.console.graph.models import Alert, compact_json

    alert = Alert.from_graph(data)
    assert alert.graph_json == compact_json(data)
    assert canonical_json(alert.raw) == canonical_json(data)
    assert alert == Alert.from_graph(dict(reversed(data.items())))


@pytest.mark.parametrize("odd", [{"big": 2 ** 70}, {"lone": "\ud800"}, {1: "int key"}])
def test_what_the_fast_encoder_refuses_is_packed_and_given_back_too(odd):
    from warroom.console.graph.models import Alert, compact_json

    assert Alert.from_graph(odd).graph_json == compact_json(odd)


def _tenant_alert(number: int) -> dict:
    """An alert as a tenant sends thousands of: the same shape, tenant and portal, another id, time and account."""
    tenant = "d1812c8d-522a-5886-bfd1-dd397607f92d"
    alert_id = f"da{514972207233209953 + number}_{8379538393 + number * 7}"
    at = f"2026-12-05T11:{number % 60:02d}:30.155Z"
    who = ("adele.vance", "alex.wilber", "lee.gu")[number % 3]
    return {
        "@odata.type": "#microsoft.graph.security.alert", "id": alert_id, "providerAlertId": alert_id[2:],
        "incidentId": "7001", "status": "new", "severity": "medium", "classification": None, "determination": None,
        "serviceSource": "microsoftDefenderForOffice365", "detectionSource": "microsoftDefenderForOffice365",
        "productName": "Microsoft Defender for Office 365", "detectorId": "0c28d1e9-3be1-42ae-a4e1-bfbededf0806",
        "tenantId": tenant, "title": f"Email messages containing malicious URL removed after delivery ({number})",
        "description": "", "recommendedActions": "", "category": "InitialAccess", "assignedTo": None,
        "alertWebUrl": f"https://security.microsoft.com/alerts/{alert_id}?tid={tenant}",
        "incidentWebUrl": f"https://security.microsoft.com/incidents/7001?tid={tenant}",
        "mitreTechniques": ["T1566.002"], "createdDateTime": at, "lastUpdateDateTime": at,
        "firstActivityDateTime": at, "lastActivityDateTime": at, "comments": [], "systemTags": [],
        "evidence": [{"createdDateTime": at, "verdict": "suspicious", "remediationStatus": "none", "roles": [],
                      "@odata.type": "#microsoft.graph.security.userEvidence",
                      "userAccount": {"accountName": who, "domainName": "contoso.onmicrosoft.com",
                                      "userPrincipalName": f"{who}@contoso.onmicrosoft.com",
                                      "azureAdUserId": f"a344d0f1-d687-5252-9e96-36cb99f47d{number % 100:02d}"}}],
    }


def test_a_tenant_s_alerts_keep_a_fraction_of_their_text(monkeypatch):
    """50,000 alerts kept Graph's text whole: 85 MiB of the console's memory. Packed against the first one's text,
    an alert of the same tenant keeps about a sixth of it."""
    import tracemalloc

    from warroom.console.graph import models
    from warroom.console.graph.models import Alert, compact_json

    monkeypatch.setattr(models, "_dictionary", None)       # this process's first alert: the one below
    objects = [_tenant_alert(number) for number in range(60)]
    texts = [compact_json(data) for data in objects]
    Alert.from_graph(objects[0], texts[0])
    tracemalloc.start()
    try:
        alerts = [Alert.from_graph(data, text) for data, text in zip(objects[1:], texts[1:], strict=True)]
        kept = tracemalloc.get_traced_memory()[0] / len(alerts)
    finally:
        tracemalloc.stop()
    text = sum(map(len, texts)) / len(texts)
    assert text > 1400 and kept < text / 2, (kept, text)
    assert [alert.graph_json for alert in alerts] == texts[1:]


class _Pages:
    """Graph's side of a read, page by page as given: an object may come again on a later page (Graph's paging is
    not a snapshot), while the page before it is still being journaled."""

    def __init__(self, pages):
        from warroom.console.clouds import resolve

        self.endpoint = resolve("global", "http://127.0.0.1:9")
        self._pages = pages

    async def pages(self, spec, params=None):
        for page in self._pages:
            await asyncio.sleep(0)
            yield [dict(item) for item in page]


async def test_an_object_on_two_pages_is_journaled_once_per_version_against_the_one_before(tmp_path):
    from warroom.console.graph.live import LiveState, TenantWatcher, restore_last_known
    from warroom.console.journal import kinds, open_journal
    from warroom.console.observations import Replay

    first = {"id": "da1", "title": "Phish", "status": "new", "description": "x" * 300}
    second = {**first, "status": "inProgress"}
    other = [{"id": f"db{n}", "title": f"Other {n}"} for n in range(150)]
    pages = [[first, *other], [first], [second], [second, {"id": "dc1", "title": "Last"}]]
    async with await open_journal(tmp_path / "j.db", actor="test") as journal:
        state = LiveState()
        await TenantWatcher(_Pages(pages), journal, state).poll_once("alerts")
        bodies = [entry.body for entry in await journal.entries(kinds=[kinds.OBSERVATION])]
        restored = await restore_last_known(journal)
    mine = [body for body in bodies if body["key"] == "da1"]
    assert len(bodies) == 1 + 150 + 1 + 1 and len(mine) == 2
    assert mine[1]["patch"] == {"status": "inProgress"} and mine[1]["base"] == digest_of(first)
    replay = Replay()
    assert [replay.feed(body).data for body in mine][-1] == second
    assert state.alerts["da1"].raw == second == restored.alerts["da1"].raw
    assert state.digests == restored.digests and len(state.alerts) == 152


_TEXT = (st.text(max_size=12)
         | st.text(alphabet=st.sampled_from(list('"\\/\x00\x1f\x7f\u2028\u2029\ufeff\U0001f600é:,.-1e5E[{')),
                   max_size=12))
_LEAVES = (st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False) | _TEXT)
_JSON = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                     max_leaves=20)


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(_TEXT, _JSON, max_size=6), _TEXT, st.booleans())
def test_an_observation_spliced_from_the_digested_text_is_the_journal_s_text_byte_for_byte(value, key, simulated):
    """What orjson read of Graph's object, spliced as the watcher does: canonical_json's text, or None (a float,
    which json writes its own way), never another text."""
    from warroom.console.graph.models import compact_json, orjson_reads_as_json
    from warroom.console.observations import observation_body, observation_text

    try:
        data = orjson.loads(json.dumps({**value, "id": key}))
    except (orjson.JSONDecodeError, ValueError):
        assume(False)       # what orjson does not read (a lone surrogate, an infinity) is never spliced
    text = compact_json(data)
    assume(orjson_reads_as_json(text))
    body = {**observation_body("alerts", key, digest_of(data), data), **({"simulated": True} if simulated else {})}
    spliced = observation_text(body, text)
    assert spliced == canonical_json(body) or (spliced is None and encoding._may_hold_a_float(text))
    patch = observation_body("alerts", key, "d", data, {"id": key, "other": 1}, "b")
    assert "patch" not in patch or observation_text(patch, text) is None


def test_a_graph_alert_is_spliced_and_an_alert_with_a_float_is_left_to_the_journal():
    from warroom.console.graph.models import compact_json
    from warroom.console.observations import observation_body, observation_text

    data = orjson.loads(orjson.dumps(_graph_alert()))
    body = {**observation_body("alerts", "da1", digest_of(data), data), "simulated": True}
    assert observation_text(body, compact_json(data)) == canonical_json(body)
    scored = {**data, "score": 0.5}
    assert observation_text(observation_body("alerts", "da1", "d", scored), compact_json(scored)) is None


async def test_the_watcher_keeps_each_digest_as_its_16_bytes_by_source_and_key(tmp_path):
    """A digest per object, kept for the session: 50,000 of them as 32 hex characters under a (source, key) tuple
    were 9 MiB of the console's memory."""
    from warroom.console.graph.live import LiveState, TenantWatcher, digest_bytes, restore_last_known
    from warroom.console.graph.models import compact_json
    from warroom.console.journal import open_journal

    objects = [{"id": f"db{n}", "title": f"Other {n}"} for n in range(3)]
    async with await open_journal(tmp_path / "j.db", actor="test") as journal:
        state = LiveState()
        await TenantWatcher(_Pages([objects]), journal, state).poll_once("alerts")
        restored = await restore_last_known(journal)
    assert state.digests["alerts"] == {data["id"]: digest_bytes(compact_json(data)) for data in objects}
    assert state.digest("alerts", "db1") == digest_of(objects[1]) and state.digest("alerts", "nobody") is None
    assert restored.digests == state.digests


async def test_a_journaled_digest_that_is_not_ours_has_its_object_journaled_again(tmp_path):
    from warroom.console.graph.live import TenantWatcher, restore_last_known
    from warroom.console.journal import kinds, open_journal

    data = {"id": "da1", "title": "Phish"}
    async with await open_journal(tmp_path / "j.db", actor="test") as journal:
        await journal.append(kinds.OBSERVATION, {"source": "alerts", "key": "da1", "digest": "not hex", "data": data})
        state = await restore_last_known(journal)
        assert state.alerts["da1"].title == "Phish" and state.digest("alerts", "da1") is None
        before = (await journal.head())[0]
        await TenantWatcher(_Pages([[data]]), journal, state).poll_once("alerts")
        after = await journal.entries(after=before, kinds=[kinds.OBSERVATION])
    assert [entry.body for entry in after] == [{"source": "alerts", "key": "da1", "digest": digest_of(data),
                                               "data": data}]
    assert state.digest("alerts", "da1") == digest_of(data)

"""canonical_json's orjson fast path: json's text byte for byte, or json decides (an entry hashes as it always has)."""

from __future__ import annotations

import dataclasses
import enum
import math
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warroom.console.journal import canonical_json, encoding, open_journal, verify_file


def exact(value: Any) -> str | type[BaseException]:
    """What json's encoder alone writes for `value`, or the kind of error it raises."""
    try:
        return encoding._CANONICAL.encode(value)
    except (TypeError, ValueError, RecursionError) as error:
        return type(error)


def ours(value: Any) -> str | type[BaseException]:
    try:
        return canonical_json(value)
    except (TypeError, ValueError, RecursionError) as error:
        return type(error)


_TEXT = (st.text() | st.text(alphabet=st.characters(max_codepoint=0x7F))
         | st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Mn"]))
         | st.text(alphabet=st.characters(min_codepoint=0xD780, max_codepoint=0xE0FF))
         | st.text(alphabet=st.sampled_from(list('"\\/\x00\x1f\x7f\u2028\u2029\ufeff\uffff\U0010ffff\U0001f600é'))))
_LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**66, max_value=2**66)
           | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -2**63, -2**63 - 1, 0, -0])
           | st.floats() | st.sampled_from([1e16, 1e-5, 1e22, -0.0, 5e-324, 1.7976931348623157e308]) | _TEXT)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (st.lists(inner, max_size=5) | st.tuples(inner, inner)
                   | st.dictionaries(_TEXT, inner, max_size=5)
                   | st.dictionaries(st.integers() | st.none() | st.booleans(), inner, max_size=2)),
    max_leaves=30)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(_VALUES)
def test_the_fast_path_writes_json_s_text_or_leaves_the_value_to_json(value: Any) -> None:
    """Non-ASCII, escapes, control characters, lone surrogates, floats, NaN, big ints, nesting: the same text as
    json's encoder, or the same refusal."""
    assert ours(value) == exact(value)


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.recursive(st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64 - 1)
                    | st.text().filter(lambda text: not any("\ud800" <= ch <= "\udfff" for ch in text)),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6).filter(
                        lambda text: not any("\ud800" <= ch <= "\udfff" for ch in text)), inner, max_size=4),
                    max_leaves=25))
def test_what_orjson_takes_is_written_by_orjson(value: Any) -> None:
    """Plain JSON without floats (what Graph's alerts hold) takes the fast path, and it is json's text."""
    text = orjson.dumps(value, option=encoding._FAST).decode()
    assert text == exact(value) == canonical_json(value)


def nested(depth: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(depth - 1):
        value = [value]
    return value


class Colour(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    HIGH = 3


class Kind(enum.StrEnum):
    NOTE = "note"


class Shouting(dict[str, Any]):
    def items(self) -> Any:
        return [(key.upper(), value) for key, value in super().items()]


class Tag(str):
    pass


@dataclasses.dataclass
class Point:
    x: int


ODD = {
    "nan": {"x": math.nan}, "infinity": [math.inf], "-infinity": -math.inf, "float with exponent": {"x": 1e16},
    "small float": [1e-7], "negative zero": -0.0, "int past 64 bits": 2**64, "int below -2**63": -2**63 - 1,
    "lone surrogate": "\ud800", "surrogate key": {"\udfff": 1}, "int key": {1: 2}, "None key": {None: 1},
    "mixed keys": {1: 2, "a": 3}, "tuple": (1, "a"), "enum": Colour.RED, "int enum": {"level": Level.HIGH},
    "str enum": [Kind.NOTE], "uuid": uuid.UUID(int=7), "datetime": datetime(2026, 1, 1, tzinfo=UTC),
    "dataclass": Point(1), "dict subclass with its own items": Shouting(a=1), "str subclass": Tag("x"),
    "str subclass key": {Tag("k"): 1}, "set": {1}, "bytes": b"x", "orjson fragment": orjson.Fragment(b"[1]"),
    "nested 80 deep": nested(80), "nested deeper than orjson goes (300)": nested(300),
}


@pytest.mark.parametrize("value", ODD.values(), ids=ODD.keys())
def test_what_orjson_writes_otherwise_or_refuses_is_json_s_to_decide(value: Any) -> None:
    assert ours(value) == exact(value)


def test_a_graph_alert_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of it: an observation of an alert is written by orjson (json's encoder is not asked)."""
    alert = {"@odata.type": "#microsoft.graph.security.alert", "id": "da0001", "title": "Mailbox rule \u201cé\u201d",
             "incidentId": None, "createdDateTime": "2026-12-05T09:38:04.322Z", "severity": "high",
             "alertWebUrl": "https://security.microsoft.com/alerts/da0001?tid=1", "ips": ["10.0.0.1", "10.0.0.2"],
             "mitreTechniques": ["T1114"], "evidence": [{"userAccount": {"upn": "a@b.c"}}],
             "additionalData": {}, "count": 3, "isResolved": False}
    body = {"source": "alerts", "key": "da0001", "digest": "0" * 32, "data": alert}
    expected = exact(body)

    class Refusing:
        def encode(self, value: Any) -> str:
            raise AssertionError("json's encoder was asked")

    monkeypatch.setattr(encoding, "_CANONICAL", Refusing())
    assert canonical_json(body) == expected


BODIES = [
    {"text": "Exchange Online degraded; users see 5xx in OWA"},
    {"text": "naïve café \u2028 line\u2029 \x00 \x1f \x7f \"quoted\" back\\slash \U0001f600", "n": 2**64 - 1},
    {"ratio": 0.5, "big": 2**80, "when": "2026-11-24T21:05:09.123Z", "tags": ["a", ["b", {"c": None}]]},
    {"z": 1, "a": {"é": True, "e": False, "\uffff": [], "\U00010000": {}}},
]


async def test_entries_written_through_the_fast_path_verify_and_re_encode_to_their_stored_text(
        tmp_path: Path) -> None:
    """What an import checks: the stored body is the canonical text of the body read back (json's encoder)."""
    path = tmp_path / "journal.db"
    async with await open_journal(path) as journal:
        for body in BODIES:
            await journal.append("note", body)
        entries = await journal.entries()
    assert [entry.body for entry in entries] == BODIES
    for entry in entries:
        assert entry.body_text == encoding._CANONICAL.encode(entry.body)
    assert verify_file(path).ok

"""The $filter subset, checked on plain dicts (the HTTP tests cover the wiring)."""

from __future__ import annotations

import pytest
from warroom.console.sim.odata import QueryError, compile_filter, order, select

ITEMS = [
    {"id": "1", "severity": "high", "lastUpdateDateTime": "2026-11-24T10:00:00.123Z", "assignedTo": None,
     "initiatedBy": {"user": {"userPrincipalName": "Megan@contoso.com"}}, "tags": [{"name": "a"}]},
    {"id": "2", "severity": "low", "lastUpdateDateTime": "2026-11-24T10:00:00.124Z", "assignedTo": "me",
     "initiatedBy": {"app": {"displayName": "Sync"}}, "tags": []},
    {"id": "3", "severity": "catastrophic", "lastUpdateDateTime": "2026-11-24T11:00:00Z", "tags": [{"name": "b"}]},
]


def ids(text: str) -> list[str]:
    predicate = compile_filter(text)
    return [item["id"] for item in ITEMS if predicate(item)]


@pytest.mark.parametrize(("text", "expected"), [
    ("severity eq 'high'", ["1"]),
    ("Severity eq 'HIGH'", ["1"]),                                     # names and strings case-insensitive
    ("severity ne 'high'", ["2", "3"]),
    ("lastUpdateDateTime ge 2026-11-24T10:00:00.124Z", ["2", "3"]),
    ("lastUpdateDateTime gt 2026-11-24T10:00:00.1235Z", ["2", "3"]),    # sub-millisecond literal
    ("lastUpdateDateTime ge 2026-11-24T10:00:00.1235Z", ["2", "3"]),
    ("lastUpdateDateTime lt 2026-11-24T10:30:00+00:00", ["1", "2"]),
    ("assignedTo eq null", ["1", "3"]),
    ("not (assignedTo eq null)", ["2"]),
    ("severity eq 'low' or severity eq 'catastrophic'", ["2", "3"]),
    ("severity eq 'low' or severity eq 'high' and assignedTo eq null", ["1", "2"]),  # and binds tighter
    ("initiatedBy/user/userPrincipalName eq 'megan@contoso.com'", ["1"]),
    ("startswith(severity, 'cat')", ["3"]),
    ("contains(initiatedBy/app/displayName, 'yn')", ["2"]),
    ("tags/any(t: t/name eq 'b')", ["3"]),
    ("tags/any(t:t/name eq 'a')", ["1"]),
    ("severity eq 'it''s'", []),
])
def test_filter(text, expected):
    assert ids(text) == expected


@pytest.mark.parametrize("text", ["severity", "severity eq", "eq 'x'", "severity like 'x'", "(severity eq 'x'",
                                  "severity eq 'x' and", "severity eq foo"])
def test_malformed_filters_raise(text):
    with pytest.raises(QueryError):
        compile_filter(text)


def test_order_and_select():
    assert [i["id"] for i in order(ITEMS, "lastUpdateDateTime desc")] == ["3", "2", "1"]
    assert [i["id"] for i in order(ITEMS, "assignedTo,id desc")] == ["3", "1", "2"]
    assert select(ITEMS[0], "severity") == {"id": "1", "severity": "high"}

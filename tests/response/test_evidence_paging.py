"""Evidence capture against a sign-ins collection whose paging is broken: bounded, and the entry says so."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest
from warroom.console.containment import preserve_evidence
from warroom.console.graph.gateway import ON_DEMAND_PAGES
from warroom.console.investigate import MAX_ITEMS
from warroom.console.journal import kinds
from warroom.console.sim import Fault

from ..graph.helpers import add_objects, update_object

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


@pytest.mark.parametrize(("kind", "most"), [("looping-next-link", 2), ("endless-next-link", ON_DEMAND_PAGES)])
async def test_evidence_of_a_broken_sign_ins_collection_is_bounded_and_marked_partial(room, kind, most):
    """A looping sign-ins page was fetched 250 times into a 4 MB entry although evidence asked for 50."""
    tenant, warroom = await room("compromised-account")
    tenant.add_fault(Fault(kind, "auditLogs/signIns"))
    tenant.requests.clear()
    lines = await asyncio.wait_for(preserve_evidence(warroom, MEGAN, incident=None), 20.0)
    sign_ins = [r for r in tenant.requests if r.path.endswith("/auditLogs/signIns")]
    assert 1 <= len(sign_ins) <= most
    evidence = {e.body["what"]: e.body for e in await warroom.journal.entries(kinds=[kinds.EVIDENCE])}
    captured = evidence["sign-ins"]
    assert 0 < len(json.loads(captured["content"])) <= MAX_ITEMS
    assert len({row["id"] for row in json.loads(captured["content"])}) == len(json.loads(captured["content"]))
    assert captured["partial"]
    assert any(line.startswith("sign-ins:") and "(partial: " in line for line in lines)


async def test_evidence_stops_at_the_limit_it_asked_for(room):
    tenant, warroom = await room("compromised-account")
    add_objects(tenant, "signIns", [{"id": f"extra-{index:04d}", "userPrincipalName": MEGAN,
                                      "createdDateTime": "T-1h"} for index in range(MAX_ITEMS + 20)])
    tenant.requests.clear()
    await preserve_evidence(warroom, MEGAN, incident=None)
    assert len([r for r in tenant.requests if r.path.endswith("/auditLogs/signIns")]) == 1
    evidence = {e.body["what"]: e.body for e in await warroom.journal.entries(kinds=[kinds.EVIDENCE])}
    assert len(json.loads(evidence["sign-ins"]["content"])) == MAX_ITEMS
    assert "partial" not in evidence["sign-ins"]


async def test_evidence_holding_a_lone_surrogate_is_captured_as_its_escape(room):
    """A display name Graph wrote with a lone surrogate (.NET can): the evidence is captured, its content holds the
    escape, as the screen shows it, and its SHA-256 is of that content, which a reviewer can recompute."""
    tenant, warroom = await room("compromised-account")
    update_object(tenant, "users", MEGAN, {"displayName": "Megan \udc00 Bowen"})
    lines = await preserve_evidence(warroom, MEGAN, incident=None)
    assert not any("NOT captured" in line for line in lines), lines
    evidence = {e.body["what"]: e.body for e in await warroom.journal.entries(kinds=[kinds.EVIDENCE])}
    user = evidence["user object"]
    assert json.loads(user["content"])["displayName"] == "Megan \\udc00 Bowen"
    assert user["sha256"] == hashlib.sha256(user["content"].encode("utf-8")).hexdigest()

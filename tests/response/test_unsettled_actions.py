"""A containment write whose outcome was never journaled (the console stopped while it was in flight) is known
after a restart: the book keeps it unsettled until an outcome or a later attempt at the same action arrives."""

from __future__ import annotations

from pathlib import Path

from warroom.console.incidents import IncidentBook
from warroom.console.journal import Draft, Journal, kinds

INC = "INC-20261125-01"


def action(result: str, target: str = "adele@contoso.com", name: str = "block_sign_in") -> Draft:
    return Draft(kinds.ACTION, {"action": name, "target": target, "result": result,
                                "request": {"method": "PATCH", "url": f"/v1.0/users/{target}"}}, INC)


async def test_a_request_without_outcome_stays_unsettled_across_a_restart(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "journal.db", actor="ic")
    try:
        await journal.append_many([Draft(kinds.INCIDENT_DECLARED, {"title": "BEC"}, INC),
                                   action("requested"), action("ok"),                 # settled
                                   action("requested", "megan@contoso.com"),           # the console died here
                                   action("requested", name="revoke_sessions"),
                                   action("failed", name="revoke_sessions")])
        book = await IncidentBook.load(journal)
        unsettled = book.incidents[INC].unsettled
        assert list(unsettled) == [("block_sign_in", "megan@contoso.com")]
        seq, _ = unsettled[("block_sign_in", "megan@contoso.com")]
        assert (await journal.entry(seq)).body["result"] == "requested"
        for entry in await journal.append_many([action("requested", "megan@contoso.com"),
                                                action("ok", "megan@contoso.com")]):
            book.apply(entry)                                # tried again and done: settled
        assert book.incidents[INC].unsettled == {}
    finally:
        await journal.close()

"""A containment write with no recorded answer from Graph (the console stopped while it was in flight, or Graph
never answered) is known after a restart: the book keeps it unsettled until a write of the same action that Graph
answered. A dry run, a refusal or a failure before sending says nothing about it."""

from __future__ import annotations

from pathlib import Path

from warroom.console.incidents import IncidentBook
from warroom.console.journal import Draft, kinds, open_journal

INC = "INC-20261125-01"
ADELE, MEGAN = "adele@contoso.com", "Megan@Contoso.com"


def action(result: str, target: str = ADELE, name: str = "block_sign_in", **more) -> Draft:
    return Draft(kinds.ACTION, {"action": name, "target": target, "result": result, **more,
                                "request": {"method": "PATCH", "url": f"/v1.0/users/{target}"}}, INC)


async def test_only_an_answer_from_graph_settles_a_write(tmp_path: Path) -> None:
    journal = await open_journal(tmp_path / "journal.db", actor="ic")
    try:
        await journal.append_many([
            Draft(kinds.INCIDENT_DECLARED, {"title": "BEC"}, INC),
            action("requested"), action("ok", requested_seq=2, status=204),                  # answered: settled
            action("requested", name="revoke_sessions"),
            action("failed", name="revoke_sessions", requested_seq=4, status=403),          # answered: settled
            action("requested", MEGAN),                                                       # the console died
            action("requested", name="confirm_compromised"),
            action("failed", name="confirm_compromised", requested_seq=7, status=None),      # no answer: unknown
        ])
        book = await IncidentBook.load(journal)
        unsettled = book.incidents[INC].unsettled
        assert sorted(unsettled) == [("block_sign_in", "megan@contoso.com"), ("confirm_compromised", ADELE)]
        seq, _, target = unsettled[("block_sign_in", "megan@contoso.com")]
        assert target == MEGAN and (await journal.entry(seq)).body["result"] == "requested"

        # Looking again without sending settles nothing: a dry run, a refusal, a failure before the send.
        for entry in await journal.append_many([action("dry-run", MEGAN), action("refused", MEGAN),
                                                action("failed", MEGAN, status=404)]):
            book.apply(entry)
        assert ("block_sign_in", "megan@contoso.com") in book.incidents[INC].unsettled

        # Tried again (the UPN typed in another case) and Graph answered: settled.
        for entry in await journal.append_many([action("requested", "megan@contoso.com"),
                                                action("ok", "megan@contoso.com", requested_seq=12, status=204)]):
            book.apply(entry)
        assert sorted(book.incidents[INC].unsettled) == [("confirm_compromised", ADELE)]
    finally:
        await journal.close()

"""StatusProposalScreen: accepting the status the evidence proposes names the incident and both statuses, and asks.

The proposal waits in the banner for one capital letter; a responder typing "As…" where no prompt was open must not
move the incident to monitoring for every console on the journal.
"""

from __future__ import annotations

from ..console.incidents import Incident
from ..console.lifecycle import Proposal
from ..console.text import clean
from ..widgets.actions import bindings
from .question import QuestionScreen


class StatusProposalScreen(QuestionScreen):
    """Dismisses with True to journal the proposed status, False to leave the incident as it is."""

    BINDINGS = bindings("status_dialog")
    YES, NO = "status_dialog.accept", "status_dialog.leave"

    def __init__(self, incident: Incident, proposal: Proposal) -> None:
        evidence = ", ".join(clean(e, 60) for e in proposal.evidence[:3])
        more = f" (and {len(proposal.evidence) - 3} more)" if len(proposal.evidence) > 3 else ""
        body = (f"{clean(incident.title, 60)}: {incident.status} → {proposal.status}, because "
                f"{clean(proposal.why, 120)}" + (f" ({evidence}{more})" if evidence else "") + ".")
        super().__init__(f"Move {incident.id} to {proposal.status}?", body, name="status-proposal")
        self.incident, self.proposal = incident, proposal

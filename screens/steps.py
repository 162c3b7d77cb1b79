"""The one entry point the dashboard calls for guided response: `App.open_guided(step, subject)` → `build`.

Each step's screen module is imported when that step is first opened, so the dashboard's first frame never
waits for them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.screen import Screen

from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from .declare import DeclareScreen

STEPS = ("declare", "assess", "contain", "block_sign_in", "revoke_sessions", "preserve_evidence",
         "communicate", "review", "close", "investigate", "hunt", "defender", "recovery", "support_case")
# No incident needed: a responder investigates, hunts or updates Defender before (or without) declaring one.
WITHOUT_INCIDENT = ("declare", "investigate", "hunt", "defender")


def build(step: str, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None,
          clock: Callable[[], datetime] | None = None) -> Screen[Any]:
    """The screen for one guided-response step; the App pushes it and gets control back on dismiss.

    `clock` fixes the time for screens that show countdowns (tests, drills)."""
    if step not in STEPS:
        raise ValueError(f"unknown guided step {step!r} (known: {', '.join(STEPS)})")
    if step == "investigate":
        from .investigate import InvestigateScreen

        return InvestigateScreen(warroom, subject, incident_id=incident_id, clock=clock)
    if step == "hunt":
        from .hunt import HuntScreen

        return HuntScreen(warroom, subject, incident_id=incident_id)
    if step == "defender":
        from .defender import DefenderScreen

        return DefenderScreen(warroom, subject, incident_id=incident_id)
    if step not in WITHOUT_INCIDENT and warroom.incident is None and not incident_id:
        return DeclareScreen(warroom, subject, notice=f"No open incident to {step.replace('_', ' ')}: "
                                                      "declare one first.")
    if step == "declare":
        return DeclareScreen(warroom, subject)
    if step == "recovery":
        from .recovery import RecoveryScreen

        return RecoveryScreen(warroom, subject, incident_id=incident_id, clock=clock)
    if step == "support_case":
        from .support_case import SupportCaseScreen

        return SupportCaseScreen(warroom, subject, incident_id=incident_id, clock=clock)
    if step == "assess":
        from .assess import AssessScreen

        return AssessScreen(warroom, subject, incident_id=incident_id)
    if step in ("contain", "block_sign_in", "revoke_sessions", "preserve_evidence"):
        from .contain import ContainScreen

        action = None if step == "contain" else step
        return ContainScreen(warroom, subject, action=action, incident_id=incident_id)
    timed = {"clock": clock} if clock is not None else {}
    if step == "communicate":
        from .communicate import CommunicateScreen

        return CommunicateScreen(warroom, subject, incident_id=incident_id, **timed)
    from .close import CloseScreen

    return CloseScreen(warroom, subject, closing=step == "close", incident_id=incident_id, **timed)

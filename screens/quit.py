"""QuitScreen: leaving warroom while an incident is open is a question, never one stray key.

It names the open incident(s); y or Enter quits, n, Esc or any other character returns to where the responder was.
"""

from __future__ import annotations

from ..console.incidents import Incident
from ..console.text import clean
from ..widgets.actions import bindings
from .question import QuestionScreen


class QuitScreen(QuestionScreen):
    """Dismisses with True to quit, False to stay."""

    BINDINGS = bindings("quit_dialog")
    YES, NO = "quit_dialog.quit", "quit_dialog.stay"

    def __init__(self, incidents: list[Incident]) -> None:
        first = incidents[0]
        more = f" (and {len(incidents) - 1} more)" if len(incidents) > 1 else ""
        super().__init__("Quit warroom?", f"{first.id}: {clean(first.title, 60)}{more} is still open. The journal "
                         "keeps everything; warroom opens on it again.", name="quit")
        self.incidents = incidents

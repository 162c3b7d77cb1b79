"""QuestionScreen: a yes-or-no question about one named thing, for the few dashboard keys whose effect a stray
keystroke must not cause (quitting with an incident open, marking a task done).

The yes key (y or Enter by default) acts; the no key (n or Esc) returns to where the responder was; so does any
other character, because a letter nobody asked for means the key that opened the question was typed by mistake
(the `q` of "quickly" is followed by `u`, not `y`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..widgets.actions import labelled


class QuestionScreen(ModalScreen[bool]):
    """Dismisses with True for yes, False for no. Subclasses bind their place's keys to `yes` and `no` and name
    the two actions' ids (for the buttons' labels) in `YES` and `NO`."""

    CSS_PATH = "question.tcss"
    YES: ClassVar[str]
    NO: ClassVar[str]

    def __init__(self, heading: str, body: str, *, name: str) -> None:
        super().__init__()
        self.heading, self.body, self.question_name = heading, body, name

    def compose(self) -> ComposeResult:
        with Vertical(classes="question", id=self.question_name):
            yield Static(Text(self.heading, style="bold"), classes="heading")
            yield Static(Text(self.body), classes="body", id=f"{self.question_name}-body")
            with Horizontal(classes="buttons"):
                yield Button(labelled(self.app, self.YES), id=f"{self.question_name}-yes", variant="error")
                yield Button(labelled(self.app, self.NO), id=f"{self.question_name}-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one(f"#{self.question_name}-yes", Button).focus()

    def on_key(self, event: events.Key) -> None:
        """A character no key of this question answers to: the opening key was a stray, so the answer is no."""
        if event.is_printable and event.key not in self.active_bindings:
            event.stop()
            event.prevent_default()
            self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == f"{self.question_name}-yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)

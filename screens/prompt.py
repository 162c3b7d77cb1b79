"""PromptScreen: one line from the responder (a note, a decision, a task, an owner) without leaving the dashboard."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from ..widgets.actions import bindings, key_for
from ..widgets.safe import clean, safe_label


class PromptScreen(ModalScreen[str | None]):
    """Enter returns the text (stripped), Escape returns None; an empty answer counts as cancel."""

    BINDINGS = bindings("prompt")
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical { width: 70%; min-width: 40; max-width: 100; height: auto; border: round $primary;
                              background: $surface; padding: 0 1; }
    PromptScreen Label { width: 1fr; color: $text-muted; }
    """

    def __init__(self, title: str, *, placeholder: str = "", value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.placeholder, self.value, self.hint = title, placeholder, value, hint

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = safe_label(self.title_text)
            yield Input(value=self.value, placeholder=clean(self.placeholder), id="prompt-input")
            cancel = key_for(self.app, "prompt.cancel")
            yield Label(safe_label(self.hint or f"Enter to save · {cancel} to cancel", None))

    def on_mount(self) -> None:
        """A prefilled answer is continued, not typed over: the cursor starts at its end."""
        box = self.query_one(Input)
        box.cursor_position = len(box.value)

    def on_key(self, event: events.Key) -> None:
        """Letters typed before the box took focus (a fast typist, a paste) still land in it."""
        box = self.query_one(Input)
        if not box.has_focus and event.is_printable and event.character:
            event.stop()
            box.insert_text_at_cursor(event.character)
            self.set_focus(box)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)

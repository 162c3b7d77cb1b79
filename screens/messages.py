"""MessageCenterScreen: Microsoft's Message center posts (planned changes that may explain "it broke this morning").

Each line: a mark when the message touches the incident's services, the id, category, services, the date action is
required by, tags and title; Enter shows the body as text below. Everything is tenant data: rendered literally.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ..console.graph.models import ServiceMessage
from ..widgets.actions import bindings, key_for
from ..widgets.safe import clean, plain, safe_label

MAX_SHOWN = 500
TOUCHES = "◆"


def touches(message: ServiceMessage, services: Iterable[str]) -> bool:
    wanted = {s.casefold() for s in services}
    return any(str(s).casefold() in wanted for s in message.services)


def message_line(message: ServiceMessage, marked: bool) -> Text:
    act_by = f"act by {message.action_required_by:%Y-%m-%d}" if message.action_required_by else ""
    parts = [clean(message.id, 16), clean(message.category, 24), clean(", ".join(message.services), 60), act_by,
             clean(", ".join(message.tags), 60), clean(message.title, 200)]
    text = Text(f"{TOUCHES if marked else ' '} ", style="bold")
    text.append("  ".join(p for p in parts if p))
    return text


class MessageCenterScreen(ModalScreen[None]):
    """Newest first; Enter shows a message's body; Esc goes back."""

    BINDINGS = bindings("messages")
    ACTION_PLACES = ("messages",)
    DEFAULT_CSS = """
    MessageCenterScreen { align: center middle; }
    MessageCenterScreen > Vertical { width: 100%; height: 1fr; border: round $primary; background: $surface; }
    MessageCenterScreen OptionList, MessageCenterScreen OptionList:focus { height: 1fr; border: none;
                                                                          background: $surface; }
    MessageCenterScreen #message-body { height: 8; border-top: solid $primary; padding: 0 1; overflow-y: auto; }
    """

    def __init__(self, messages: Iterable[ServiceMessage], services: Iterable[str]) -> None:
        super().__init__()
        services = list(services)
        newest = sorted(messages, key=lambda m: (m.last_modified or m.started or datetime.min.replace(tzinfo=UTC)),
                        reverse=True)[:MAX_SHOWN]
        self.messages = newest
        self.marked = [touches(m, services) for m in newest]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = safe_label(f"Message center ({len(self.messages)})")
            box.border_subtitle = safe_label(
                f"{TOUCHES} touches the incident's services · Enter reads · {key_for(self.app, 'messages.close')} back")
            yield OptionList(id="message-list")
            yield Static(plain("No message yet: Microsoft's Message center has said nothing, or it was not read."
                               if not self.messages else "Enter shows the selected message's text here."),
                         id="message-body")
        yield Footer()

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.add_options([Option(message_line(m, mark), id=str(i))
                             for i, (m, mark) in enumerate(zip(self.messages, self.marked, strict=True))])
        if self.messages:
            listing.highlighted = 0
        listing.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        message = self.messages[int(event.option.id or 0)]
        head = f"{message.id}: {message.title}\n"
        self.query_one("#message-body", Static).update(plain(head + (message.text or "(no text)"), limit=20000))

    def action_close(self) -> None:
        self.dismiss(None)

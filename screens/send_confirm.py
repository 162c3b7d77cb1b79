"""SendConfirmScreen: the last look before an update leaves: which audience, which people, which channels.

F2 sends, Esc goes back with nothing sent; letters do nothing, so a sentence still being typed cannot send.
Every line is plain text (recipients and the subject are a responder's or the tenant's words).
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..console.channels import Channel
from ..widgets.actions import bindings, key_for
from .guided import plain


class SendConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "communicate.tcss"
    BINDINGS = bindings("send_confirm")
    ACTION_PLACES = ("send_confirm",)

    def __init__(self, *, audience: str, recipients: tuple[str, ...], channels: list[Channel], subject: str) -> None:
        super().__init__()
        self.audience, self.recipients, self.channels, self.subject = audience, recipients, channels, subject

    def compose(self) -> ComposeResult:
        to = ", ".join(self.recipients) or "(no one by mail: only channels without recipients)"
        lines = [f"Send to {self.audience}?", f"To: {to}", "Through:"]
        lines += [f"  {channel.name}: {channel.describe()}" for channel in self.channels]
        lines.append(f"Subject: {self.subject}")
        with Vertical(id="send-confirm"):
            yield Static(plain("\n".join(lines), limit=4000), id="send-confirm-text")
            yield Static(plain(f"{key_for(self.app, 'send_confirm.send')} sends now · "
                               f"{key_for(self.app, 'send_confirm.cancel')} goes back, nothing sent"),
                         id="send-confirm-keys")
        yield Footer()

    def on_key(self, event: events.Key) -> None:
        """Letters, digits and Space do nothing here: only F2 sends."""
        if event.is_printable:
            event.stop()
            event.prevent_default()

    def action_send(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

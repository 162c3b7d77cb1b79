"""Graph strings are hostile: widgets show them through the one sanitiser, console/text.py, as literal Text.

Titles, UPNs, service and playbook names come from the tenant or from files and may hold Rich markup, terminal
escape sequences, C0/C1 controls or BiDi overrides. Textual reads a plain `str` prompt or label as markup
(SelectionList, OptionList, Select, Checkbox, RadioButton, Button, Tabs, Label, Static): invalid markup stops
the screen's message pump, valid markup restyles or links, and escapes go to the terminal. So every prompt
made from data is `safe_label()` (one line) or `plain()` (several), and every notification is cleaned and
literal (`LiteralNotifications`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from rich.text import Text
from textual.app import App
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen

from ..console.text import TITLE_LIMIT, clean

__all__ = ["TITLE_LIMIT", "LiteralNotifications", "OneLineNotices", "clean", "plain", "safe_label", "safe_options",
           "safe_text"]

V = TypeVar("V")
Result = TypeVar("Result")
NOTIFY_LIMIT = 2000


def safe_text(value: object, style: str = "", limit: int | None = TITLE_LIMIT) -> Text:
    """A cleaned string as literal Text: `[bold]` stays the six characters a tenant sent."""
    return Text(clean(value, limit), style=style, no_wrap=True, overflow="ellipsis")


def safe_label(value: object, limit: int | None = TITLE_LIMIT) -> Text:
    """A one-line prompt or label for any widget that would read a `str` as markup: cleaned, literal."""
    return Text(clean(value, limit))


def plain(value: object, *, limit: int | None = None) -> Text:
    """Several lines for a Static: escapes and BiDi controls removed, brackets shown as brackets."""
    return Text(clean(value, limit, keep_newlines=True))


def safe_options(pairs: Iterable[tuple[object, V]], limit: int | None = TITLE_LIMIT) -> list[tuple[Text, V]]:
    """(prompt, value) pairs for a Select, prompts made literal."""
    return [(safe_label(prompt, limit), value) for prompt, value in pairs]


class OneLineNotices:
    """Mixed into a Screen whose form must stay whole (the guided screens): its notifications are one line over its
    footer (screens/notices.tcss places them), so a notification's title leads that line instead of standing above.
    Dialogs (ModalScreen) are placed the same way."""


class LiteralNotifications(App[Result]):
    """An App whose every toast is cleaned and literal, whoever calls `notify()` and whatever it quotes."""

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        message, title = clean(message, NOTIFY_LIMIT, keep_newlines=True), clean(title, 80)
        stack = self.screen_stack
        if stack and isinstance(stack[-1], (OneLineNotices, ModalScreen)):
            message, title = " ".join(f"{title}: {message}".split() if title else message.split()), ""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

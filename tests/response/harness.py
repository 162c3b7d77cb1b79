"""A tiny App that hosts one guided-response screen over a real WarRoom, as the dashboard would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static
from warroom import screens
from warroom.console.session import WarRoom
from warroom.console.subject import NOTHING, Subject, of_account, resolve
from warroom.screens.steps import build
from warroom.widgets.safe import LiteralNotifications


def subject_for(warroom: WarRoom, *, alert_id: str = "", defender_incident_id: str = "", issue_id: str = "",
                risky_user_id: str = "", upn: str = "") -> Subject:
    """The subject the dashboard would resolve for a selected row (or an account a responder named)."""
    for kind, id_ in (("alert", alert_id), ("defender_incident", defender_incident_id),
                      ("service_issue", issue_id), ("risky_user", risky_user_id)):
        if id_:
            return resolve(warroom.live, kind, id_)
    return of_account(upn) if upn else NOTHING


class GuidedTestApp(LiteralNotifications, App[None]):
    """Pushes `build(step, warroom, subject)` on mount; remembers what the screen dismissed with.

    The subject is given, or resolved from ids as the dashboard would (`alert_id=…`, `upn=…`). Notifications look
    as in the console (screens/notices.tcss)."""

    CSS_PATH = [Path(screens.__file__).with_name("notices.tcss")]

    def __init__(self, warroom: WarRoom, step: str, subject: Subject | None = None, *,
                 clock: Callable[[], datetime] | None = None, **ids: Any) -> None:
        super().__init__()
        self.warroom, self.step, self.clock = warroom, step, clock
        self.subject = subject if subject is not None else subject_for(warroom, **ids)
        self.results: list[Any] = []
        self.copied: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("dashboard", id="dashboard")

    def on_mount(self) -> None:
        self.open_guided(self.step, self.subject)

    def open_guided(self, step: str, subject: Subject = NOTHING) -> None:
        self.push_screen(build(step, self.warroom, subject, clock=self.clock), self.results.append)

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)
        super().copy_to_clipboard(text)

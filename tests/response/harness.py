"""A tiny App that hosts one guided-response screen over a real WarRoom, as the dashboard would."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static
from warroom.console.session import WarRoom
from warroom.screens.guided import build


class GuidedTestApp(App[None]):
    """Pushes `build(step, warroom, **context)` on mount; remembers what the screen dismissed with."""

    def __init__(self, warroom: WarRoom, step: str, **context: Any) -> None:
        super().__init__()
        self.warroom, self.step, self.context = warroom, step, context
        self.results: list[Any] = []
        self.copied: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("dashboard", id="dashboard")

    def on_mount(self) -> None:
        self.open_guided(self.step, **self.context)

    def open_guided(self, step: str, **context: Any) -> None:
        self.push_screen(build(step, self.warroom, **context), self.results.append)

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)
        super().copy_to_clipboard(text)

"""What the screens ask of the App they run in (screens/app.py's WarroomApp), as a Protocol: a screen names that
seam without importing the App, which imports every screen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

from textual.app import App

from ..console.subject import Subject


@runtime_checkable
class ConsoleApp(Protocol):
    """The hooks the dashboard and the detail screens call: guided steps, linking, sign-in, the clock."""

    clock: Callable[[], datetime]
    panes_drawn: asyncio.Event         # set once the whole dashboard is on screen

    def open_guided(self, step: str, subject: Subject = ...) -> None: ...

    def link_to_incident(self, subject: Subject) -> None: ...

    def sign_in_to_graph(self) -> None: ...


def console_app(app: App[object]) -> ConsoleApp:
    """The App a screen runs in, as the screens use it; a TypeError names any other App."""
    if not isinstance(app, ConsoleApp):
        raise TypeError(f"{type(app).__name__} is not the console's App (it has no {ConsoleApp.__name__} hooks)")
    return app

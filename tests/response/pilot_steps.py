"""Pilot helpers: drive a guided screen as a responder would (focus, type, press keys), then let work finish."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Select
from warroom.console.journal import Entry

from ..waiting import held_still


async def settle(pilot: Pilot) -> None:
    """Let workers (journal writes, Graph requests) finish and the screen repaint, every text cursor shown.

    A blinking cursor is on or off by how long the test took, so a snapshot would depend on the machine's load:
    the cursors stop blinking and stay shown, as a responder sees them when typing."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await held_still(pilot)
    steady_cursors(pilot)
    await pilot.pause()


def steady_cursors(pilot: Pilot) -> None:
    for field in pilot.app.screen.query("Input, TextArea"):
        field.cursor_blink = False  # type: ignore[attr-defined]


@asynccontextmanager
async def opened(app: App[Any], size: tuple[int, int]) -> AsyncIterator[Pilot]:
    """The app running at `size`, its guided screen settled (what it reads on opening, read): the Pilot."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot


async def press_and_settle(pilot: Pilot, key: str = "f2") -> str:
    """Press `key` (F2 runs a guided screen's action) and let what it started finish: what the screen says then."""
    await pilot.press(key)
    await settle(pilot)
    return message(pilot)


async def confirm_with(pilot: Pilot, selector: str, typed: str, key: str = "f2") -> str:
    """Type the confirmation into `selector`, press `key`, let it finish: what the screen says then."""
    await type_into(pilot, selector, typed)
    return await press_and_settle(pilot, key)


async def type_into(pilot: Pilot, selector: str, text: str, *, keys: bool = False) -> None:
    """Focus a field and enter `text`: key by key when `keys` (the UPN confirmation), else pasted at once."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    if keys:
        await pilot.press(*text)
    else:
        field.insert_text_at_cursor(text)
    await pilot.pause()
    assert field.value == text


async def choose(pilot: Pilot, selector: str, value: Any) -> None:
    pilot.app.screen.query_one(selector, Select).value = value
    await pilot.pause()


async def fill_placeholders(pilot: Pilot, words: str = "see the service desk page") -> None:
    """Write over every [placeholder] the template left in the draft, as the author must before it goes."""
    from textual.widgets import TextArea
    from warroom.console.comms import UNFILLED

    area = pilot.app.screen.query_one("#communicate-text", TextArea)
    area.text = UNFILLED.sub(words, area.text)
    await pilot.pause()


def shown(pilot: Pilot, selector: str) -> str:
    """A widget's text as drawn (whatever it renders: text, a grid), one line per row, trailing blanks cut."""
    widget = pilot.app.screen.query_one(selector)
    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(widget.region.reset_offset))


def message(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#message").render())


def bodies(entries: list[Entry], kind: str) -> list[dict[str, Any]]:
    return [e.body for e in entries if e.kind == kind]


def writes(tenant: Any) -> list[Any]:
    """Every request that could change the tenant."""
    return [r for r in tenant.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]


MEGAN = "megan.bowen@contoso.onmicrosoft.com"


async def declare_compromise(warroom: Any) -> Any:
    """A security incident for Megan's account, declared from the built-in playbook; returns it."""
    from warroom.console.playbooks import PlaybookLibrary, declaration
    from warroom.console.timefmt import utc_now

    drafts = declaration(warroom.book.new_id(utc_now()), title="Megan compromised", category="security-incident",
                         services=[], roles={"incident_commander": "ann"}, library=PlaybookLibrary.load())
    await warroom.record_many(drafts)
    return warroom.incident


async def compromised(room: Any, step: str, *, settings: dict[str, Any] | None = None,
                      **ids: Any) -> tuple[Any, Any, Any, Any]:
    """(tenant, warroom, incident, app) on the compromised-account tenant: Megan's incident declared, and an app that
    opens `step` on her account (or on the object `ids` name, as GuidedTestApp takes them)."""
    from .harness import GuidedTestApp

    tenant, warroom = await room("compromised-account", **(settings or {}))
    incident = await declare_compromise(warroom)
    return tenant, warroom, incident, GuidedTestApp(warroom, step, **(ids or {"upn": MEGAN}))

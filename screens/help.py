"""HelpScreen (`?`): every key, grouped by where it works, with the keys in force after `[ui.keys]`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..console.actions import in_place
from ..widgets.actions import bindings, help_rows, key_for, place_name
from ..widgets.safe import safe_label


def help_table(app: App[Any], places: Iterable[str]) -> Table:
    """Key, what it does, and a line on it: what a responder needs, never an internal id."""
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", min_width=10)
    table.add_column(min_width=22)
    table.add_column(style="dim")
    for place in places:
        table.add_row(Text(place_name(place), style="underline"), "", "")
        for keys, what, why in help_rows(app, place):
            table.add_row(Text(keys), Text(what), Text(why))
        table.add_row("", "", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings("help")
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; max-width: 98%; height: 90%; border: round $primary;
                                  background: $surface; padding: 0 1; }
    """

    def __init__(self, places: Iterable[str]) -> None:
        super().__init__()
        self.places = tuple(places)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            close, find = key_for(self.app, "help.close"), key_for(self.app, "app.command_palette")
            offered = any(action.palette for place in self.places for action in in_place(place))
            box.border_title = safe_label(f"Keys  ({close} to close · {find} finds any action by name)" if offered
                                          else f"Keys  ({close} to close)")
            yield Static(help_table(self.app, self.places), id="help-table")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)

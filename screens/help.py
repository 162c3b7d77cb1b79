"""HelpScreen (`?`): every key the dashboard answers to, grouped by where it works."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {"question_mark": "?", "colon": ":", "slash": "/", "plus": "+", "exclamation_mark": "!",
             "space": "Space", "enter": "Enter", "escape": "Esc", "tab": "Tab", "shift+tab": "Shift+Tab",
             "pageup": "PgUp", "pagedown": "PgDn"}


def key_label(keys: str) -> str:
    return " / ".join(KEY_NAMES.get(k, k) for k in keys.split(","))


def help_table(sections: Sequence[tuple[str, Iterable[BindingType]]], keymap: Mapping[str, str] | None = None,
               ) -> Table:
    """Key, what it does, and the binding id to remap it with (`[ui.keys]` in the config file)."""
    keymap = keymap or {}
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", min_width=12)
    table.add_column(min_width=22)
    table.add_column(style="dim")
    for title, bindings in sections:
        table.add_row(Text(title, style="underline"), "", "")
        for binding in bindings:
            if isinstance(binding, Binding) and binding.description:
                keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
                table.add_row(Text(key_label(keys)), Text(binding.description), Text(binding.id or ""))
        table.add_row("", "", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 95%; height: 90%; border: round $primary;
                                  background: $surface; padding: 0 2; }
    """

    def __init__(self, sections: Sequence[tuple[str, Iterable[BindingType]]]) -> None:
        super().__init__()
        self.sections = [(title, list(bindings)) for title, bindings in sections]

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Keys  (Esc to close · Ctrl+P for commands)"
            yield Static(help_table(self.sections, getattr(self.app, "_keymap", None)))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)

"""RowTable: a header line and rows drawn on demand (Line API), with a keyboard cursor.

The panes that list records (alerts, service health) share it. Textual's DataTable measures and styles every cell
as rows arrive: at 50,000 alerts that freezes the event loop for seconds, and even for five workloads it is the
costliest widget of the first frame. Here a row is a plain record, and only the lines on screen are rendered.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


class Column(NamedTuple):
    key: str
    heading: str
    width: int              # 0: the flexible column, which takes what the others leave
    justify: str = "left"   # "left" | "right"


class RowTable(ScrollView, can_focus=True):
    """Rows under a header; the cursor row is highlighted when focused and underlined when not.

    Subclasses say what a row looks like (`row_cells`) and which component classes style it (`PREFIX`: the
    header and cursor styles are `<PREFIX>--header` and `<PREFIX>--cursor`).
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]
    PREFIX: ClassVar[str] = "row-table"
    OPEN_ACTION: ClassVar[str] = ""     # what Enter does on a row: a double click does the same
    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    EMPTY = "Nothing to show"

    cursor: reactive[int] = reactive(0, always_update=False, repaint=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[Any] = []        # what is shown, in order
        self._paint_styles: dict[str, Style] | None = None    # during one paint: styles every line shares

    # -- what subclasses provide ----------------------------------------------------------------------

    def row_cells(self, row: Any) -> list[Text]:
        """One Text per column, styled; the table truncates and pads them."""
        raise NotImplementedError

    def header_cells(self) -> list[Text]:
        return [Text(c.heading) for c in self.columns()]

    def columns(self) -> tuple[Column, ...]:
        """The columns as laid out now: `COLUMNS`, unless a subclass picks them by width."""
        return self.COLUMNS

    def row_style(self, index: int) -> Style | None:
        """A style for a whole line besides the cursor's (zebra stripes), or None."""
        return None

    def empty_message(self) -> str:
        return self.EMPTY

    # -- rows and cursor ---------------------------------------------------------------------------------

    def show_rows(self, rows: list[Any], keep: Any = None) -> None:
        """Replace what is shown; the cursor stays on the row whose `key` is `keep`, else where it was."""
        self.rows = rows
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        index = next((i for i, r in enumerate(rows) if r.key == keep), None) if keep is not None else None
        self.cursor = min(index if index is not None else self.cursor, max(0, len(rows) - 1))
        self._scroll_to_cursor()
        self.refresh()

    @property
    def selected(self) -> Any:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def watch_cursor(self) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 2))

    def action_jump(self, index: int) -> None:
        if self.rows:
            self.cursor = index % len(self.rows)

    async def on_click(self, event: events.Click) -> None:
        """Mouse optional: a click puts the cursor on a row, a double click opens it as Enter would."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:         # a border or the header
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if 0 <= index < len(self.rows):
            self.cursor = index
            if event.chain == 2 and self.OPEN_ACTION:
                await self.run_action(self.OPEN_ACTION)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def visible_rows(self) -> list[Any]:
        top = int(self.scroll_offset.y)
        return self.rows[top: top + max(0, self.size.height - 1)]

    # -- rendering -------------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        """One paint: the styles every line shares are looked up once, not once per line and cell."""
        self._paint_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._paint_styles = None

    def component_style(self, name: str) -> Style:
        cache = self._paint_styles
        if cache is None:
            return self.get_component_rich_style(f"{self.PREFIX}--{name}")
        style = cache.get(name)
        if style is None:
            style = cache[name] = self.get_component_rich_style(f"{self.PREFIX}--{name}")
        return style

    def _base_style(self) -> Style:
        cache = self._paint_styles
        if cache is None:
            return self.rich_style
        style = cache.get("")
        if style is None:
            style = cache[""] = self.rich_style
        return style

    def column_widths(self, width: int) -> list[int]:
        columns = self.columns()
        fixed = sum(c.width for c in columns) + len(columns) - 1
        return [c.width or max(8, width - fixed) for c in columns]

    def _line(self, cells: list[Text], widths: list[int], base: Style) -> Strip:
        line = Text(no_wrap=True, end="")
        for index, (cell, width, column) in enumerate(zip(cells, widths, self.columns(), strict=True)):
            if index:
                line.append(" ")
            cell.truncate(width, overflow="ellipsis")
            if column.justify == "right":
                line.append(" " * (width - cell.cell_len))
                line.append_text(cell)
            else:
                line.append_text(cell)
                line.append(" " * (width - cell.cell_len))
        segments = [Segment(s.text, base + s.style if s.style else base) for s in line.render(self.app.console)]
        return Strip(segments)

    def line_width(self) -> int:
        """How wide a line is drawn: the widget's width (a pane that shows its scrollbar leaves room for it)."""
        return self.size.width

    def render_line(self, y: int) -> Strip:
        width = self.line_width()
        widths = self.column_widths(width)
        base = self._base_style()
        if y == 0:
            header = base + self.component_style("header")
            return self._line(self.header_cells(), widths, header).crop_extend(0, width, header)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows):
            if not self.rows and y == 1:
                line = Strip([Segment(f" {self.empty_message()}", base + self.component_style("muted"))])
                return line.crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index == self.cursor:
            style = base + (self.component_style("cursor") if self.has_focus else Style(underline=True))
        else:
            extra = self.row_style(index)
            style = base if extra is None else base + extra
        return self._line(self.row_cells(self.rows[index]), widths, style).crop_extend(0, width, style)

"""RowTable: a header line and rows drawn on demand (Line API), with a keyboard cursor.

The panes that list records (alerts, service health) share it. Textual's DataTable measures and styles every cell
as rows arrive: at 50,000 alerts that freezes the event loop for seconds, and even for five workloads it is the
costliest widget of the first frame. Here a row is a plain record, and only the lines on screen are rendered.
"""

from __future__ import annotations

import asyncio
import heapq
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import islice
from operator import itemgetter
from time import perf_counter
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar, overload

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .actions import bindings
from .folded import folded_line


class Column(NamedTuple):
    key: str
    heading: str
    width: int              # 0: the flexible column, which takes what the others leave
    justify: str = "left"   # "left" | "right"


R = TypeVar("R")
T = TypeVar("T")


class RowFilter(Protocol[R]):
    """Which rows a filter lets through: one row at a time as rows change, or all at once as its text changes."""

    def __call__(self, row: R, /) -> bool: ...

    def select(self, rows: Iterable[R], /) -> list[R]: ...


_KEY = itemgetter(0)        # of a (key, row) pair


def _spliced(items: list[T], gone: Sequence[int], places: Sequence[int], fresh: Sequence[T]) -> list[T]:
    """`items` less those at the positions `gone` (ascending), with `fresh[i]` put before `items[places[i]]`
    (ascending; `len(items)` puts it at the end): one copy of what stays, however many changed."""
    out: list[T] = []
    start, next_gone = 0, 0
    for place, item in zip(places, fresh, strict=True):
        while next_gone < len(gone) and gone[next_gone] < place:
            out += items[start:gone[next_gone]]
            start = gone[next_gone] + 1
            next_gone += 1
        out += items[start:place]
        start = max(start, place)
        out.append(item)
    for index in gone[next_gone:]:
        out += items[start:index]
        start = index + 1
    out += items[start:]
    return out


def merged(rows: list[R], key: Callable[[R], Any], removed: Iterable[R], added: Iterable[R]) -> list[R]:
    """`rows` (in `key` order, keys unique) less `removed`, with `added` in their places: a binary search per
    changed row and one copy of the rest, however many rows changed (a page of 1,000 new alerts under a filter
    costs what 3 do, not a pass of the filter over every row)."""
    size = len(rows)
    gone = sorted(index for row in removed
                  if (index := bisect_left(rows, key(row), key=key)) < size and rows[index] == row)
    fresh = sorted(added, key=key)
    return _spliced(rows, gone, [bisect_left(rows, key(row), key=key) for row in fresh], fresh)


def _keyed_merged(keys: list[Any], rows: list[R], key: Callable[[R], Any], removed: Iterable[R],
                  added: Sequence[R]) -> tuple[list[Any], list[R]]:
    """`merged` over rows whose keys are kept beside them: the searches compare kept keys, so a page of 1,000
    alerts computes 1,000 keys, not one for every step of every search."""
    size = len(rows)
    gone = sorted(index for row in removed
                  if (index := bisect_left(keys, key(row))) < size and rows[index] == row)
    fresh = sorted(zip(map(key, added), added, strict=True), key=_KEY)
    places = [bisect_left(keys, pair[0]) for pair in fresh]
    return (_spliced(keys, gone, places, [pair[0] for pair in fresh]),
            _spliced(rows, gone, places, [pair[1] for pair in fresh]))


def _sorting(rows: Sequence[R], key: Callable[[R], Any], step: int) -> Iterator[tuple[list[Any], list[R]] | None]:
    """Sort `rows` by `key` a step of about `step` rows at a time: None after each step, then the keys and the rows
    in order. Runs of `step` rows are sorted (by position, not as (key, row) pairs: half the objects for the
    collector), then merged (`heapq.merge`) `step` rows at a time."""
    keys: list[Any] = []
    by_key = keys.__getitem__
    runs: list[list[int]] = []
    for start in range(0, len(rows), step):
        keys += map(key, rows[start:start + step])
        runs.append(sorted(range(start, len(keys)), key=by_key))
        yield None
    ordered_keys: list[Any] = []
    ordered: list[R] = []
    merging = heapq.merge(*runs, key=by_key) if len(runs) > 1 else iter(runs[0] if runs else ())
    while piece := list(islice(merging, step)):
        ordered_keys += map(by_key, piece)
        ordered += map(rows.__getitem__, piece)
        yield None
    yield ordered_keys, ordered


class _Turns:
    """A long pass's pauses: the event loop gets a turn once `turn` seconds of work have gone by since it last had
    one (a keystroke over 50,000 rows never holds it for the whole pass on a busy machine, and the pass takes no
    more turns than it needs on a quiet one)."""

    def __init__(self, turn: float) -> None:
        self.turn = turn
        self.ends = perf_counter() + turn

    async def pause(self) -> None:
        if perf_counter() >= self.ends:
            # A timer, not sleep(0): the next step waits behind what arrived during this one (a key, a paint),
            # where sleep(0) would put it ahead, and a key would wait out two steps.
            await asyncio.sleep(0.001)
            self.ends = perf_counter() + self.turn


class OrderedRows(Sequence[R], Generic[R]):
    """Rows in order by `key` (unique per row), kept in order as rows change, with an optional filter.

    A poll that changed 100 of 50,000 alerts moves those 100 rows (a binary search each, over keys kept beside
    the rows, and one copy of the list) instead of sorting and filtering all of them again; the filter tries only
    the changed rows, and runs over every row only when its text changes. A Line-API table reads rows by position,
    so this is a Sequence; `reverse` shows the order backwards without sorting again. The lists are replaced,
    never changed in place: a pass in turns reads the rows as they were when it started.
    """

    def __init__(self, key: Callable[[R], Any], rows: Iterable[R] = (), *, reverse: bool = False) -> None:
        rows = list(rows)
        *_, done = _sorting(rows, key, max(1, len(rows)))
        self._key = key
        self._keys, self._rows = done or ([], [])   # every row in order, and its key
        self.reverse = reverse
        self._matches: RowFilter[R] | None = None
        self._shown: list[R] | None = None      # the rows the filter lets through, in order (None: all of them)
        self._passes: list[list[tuple[list[R], list[R]]]] = []     # changes seen by each pass under way

    @property
    def key(self) -> Callable[[R], Any]:
        """The order's key."""
        return self._key

    @property
    def _seq(self) -> list[R]:
        return self._rows if self._shown is None else self._shown

    def __len__(self) -> int:
        return len(self._seq)

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> list[R]: ...

    def __getitem__(self, index: int | slice) -> R | list[R]:
        seq, size = self._seq, len(self._seq)
        if isinstance(index, slice):
            start, stop, step = index.indices(size)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            if stop <= start:
                return []
            if not self.reverse:
                return seq[start:stop]
            return seq[size - stop:size - start][::-1]
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(index)
        return seq[size - 1 - index] if self.reverse else seq[index]

    def __iter__(self) -> Iterator[R]:
        return reversed(self._seq) if self.reverse else iter(self._seq)

    @property
    def every(self) -> Sequence[R]:
        """All rows, the filter aside, in key order."""
        return self._rows

    def position(self, row: R) -> int | None:
        """Where `row` is shown (None: it is not)."""
        if self._shown is None:
            index = bisect_left(self._keys, self._key(row))
            if index >= len(self._rows) or self._rows[index] != row:
                return None
        else:
            index = bisect_left(self._shown, self._key(row), key=self._key)
            if index >= len(self._shown) or self._shown[index] != row:
                return None
        return len(self._seq) - 1 - index if self.reverse else index

    def change(self, added: Iterable[R], removed: Iterable[R]) -> None:
        """`removed` (the rows as they were) leave, `added` take their places in the order."""
        added, removed = list(added), list(removed)
        for changes in self._passes:
            changes.append((added, removed))
        self._keys, self._rows = _keyed_merged(self._keys, self._rows, self._key, removed, added)
        if self._shown is not None and self._matches is not None:
            self._shown = merged(self._shown, self._key, removed, self._matches.select(added))

    def set_filter(self, matches: RowFilter[R] | None, *, narrower: bool = False) -> None:
        """Show only the rows `matches` lets through (None: all). `narrower`: it lets through no row the filter
        before it refused, so only the rows shown now are tried."""
        self._matches = matches
        if matches is None:
            self._shown = None
            return
        self._shown = matches.select(self._tried(narrower))

    def _tried(self, narrower: bool) -> Sequence[R]:
        return self._shown if narrower and self._shown is not None else self._rows

    def filter_cost(self, narrower: bool) -> int:
        """How many rows `set_filter` would try."""
        return len(self._tried(narrower))

    async def set_filter_in_steps(self, matches: RowFilter[R], *, narrower: bool = False, step: int = 1000,
                                  turn: float = 0.03) -> None:
        """`set_filter` over many rows in turns of the event loop of at most about `turn` seconds (`step` rows at
        a time); what is shown changes only once the pass is done. Rows that change meanwhile are tried as they
        change. Cancelled (a newer keystroke), it changes nothing."""
        key, rows = self._key, self._tried(narrower)
        changes: list[tuple[list[R], list[R]]] = []
        self._passes.append(changes)
        try:
            chosen: list[R] = []
            turns = _Turns(turn)
            for start in range(0, len(rows), step):
                chosen += matches.select(rows[start:start + step])
                await turns.pause()
        finally:
            self._end_pass(changes)
        if key is not self._key:        # sorted another way meanwhile
            chosen = self._in_order(chosen)
        for added, removed in changes:
            chosen = merged(chosen, self._key, removed, matches.select(added))
        self._matches, self._shown = matches, chosen

    def set_key(self, key: Callable[[R], Any], *, reverse: bool) -> None:
        """Another order: everything is sorted at once (a few thousand rows; `set_key_in_steps` for more)."""
        if key is not self._key:
            *_, done = _sorting(self._rows, key, max(1, len(self._rows)))
            self._ordered_by(key, *(done or ([], [])))
        self.reverse = reverse

    async def set_key_in_steps(self, key: Callable[[R], Any], *, step: int = 1000, turn: float = 0.03) -> None:
        """`set_key` over many rows in turns of the event loop of at most about `turn` seconds (runs of `step`
        rows sorted, then merged `step` rows at a time), so `s` over 50,000 rows never holds the loop for the
        whole sort; what is shown changes only once the sort is done, the direction (`reverse`) aside. Rows that
        change meanwhile (a page arriving) take their places as it ends. Cancelled (a newer order), it changes
        nothing."""
        if key is self._key:
            return
        changes: list[tuple[list[R], list[R]]] = []
        self._passes.append(changes)
        try:
            turns = _Turns(turn)
            for done in _sorting(self._rows, key, step):
                if done is None:
                    await turns.pause()
        finally:
            self._end_pass(changes)
        keys, rows = done or ([], [])
        for added, removed in changes:
            keys, rows = _keyed_merged(keys, rows, key, removed, added)
        self._ordered_by(key, keys, rows)

    def _end_pass(self, changes: list[tuple[list[R], list[R]]]) -> None:
        """This pass's list of changes leaves, by identity: a filter's and a sort's passes under way together see
        the same changes, so their lists are equal, and `list.remove` would take the other's."""
        self._passes = [seen for seen in self._passes if seen is not changes]

    def _ordered_by(self, key: Callable[[R], Any], keys: list[Any], rows: list[R]) -> None:
        self._key, self._keys, self._rows = key, keys, rows
        if self._shown is not None:
            self._shown = self._in_order(self._shown)

    def _in_order(self, rows: Iterable[R]) -> list[R]:
        """Those of `rows` still here, in the order now: one pass over every row by identity, not a sort (the
        filter's rows are the same objects as every row's)."""
        chosen = {id(row) for row in rows}
        return [row for row in self._rows if id(row) in chosen]


class RowTable(ScrollView, Generic[R], can_focus=True):
    """Rows under a header; the cursor row is highlighted when focused and underlined when not.

    Subclasses name their row type (`RowTable[AlertRow]`), say what a row looks like (`row_cells`) and what
    identifies it (`row_key`), and which component classes style it (`PREFIX`: the header and cursor styles are
    `<PREFIX>--header` and `<PREFIX>--cursor`).
    """

    BINDINGS = bindings("list")
    PREFIX: ClassVar[str] = "row-table"
    OPEN_ACTION: ClassVar[str] = ""     # what Enter does on a row: a double click does the same
    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    EMPTY = "Nothing to show"

    cursor: reactive[int] = reactive(0, always_update=False, repaint=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: Sequence[R] = []      # what is shown, in order
        self._cursor_key: Hashable | None = None     # the `row_key` of the row the cursor was last put on
        self._paint_styles: dict[str, Style] | None = None    # during one paint: styles every line shares

    # -- what subclasses provide ----------------------------------------------------------------------

    def row_cells(self, row: R) -> list[Text]:
        """One Text per column, styled; the table truncates and pads them."""
        raise NotImplementedError

    def row_key(self, row: R) -> Hashable:
        """What identifies a row across refreshes: the cursor stays on it (`show_rows(keep=...)`)."""
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

    def summary(self) -> Text | None:
        """One line saying what the rows add up to, shown instead of the header when the pane is one line tall
        (a folded pane on a small terminal); None: the header, as usual."""
        return None

    # -- rows and cursor ---------------------------------------------------------------------------------

    def show_rows(self, rows: Sequence[R], keep: Hashable | None = None) -> None:
        """Replace what is shown, or say that the rows shown changed (a filter, an order or a poll changed them in
        place). The cursor stays on the row it was on (or the one whose key is `keep`) wherever that row is now;
        when it is no longer shown, the cursor goes to the first row: never to whatever took its old place."""
        if keep is None:
            keep = self._cursor_key
        self.rows = rows
        self.virtual_size = Size(self.line_width(), len(rows) + 1)
        index = self.index_of(keep) if keep is not None else None
        self.cursor = index if index is not None else 0
        self._cursor_key = self._key_at(self.cursor)
        self._scroll_to_cursor()
        self.refresh()

    def _key_at(self, index: int) -> Hashable | None:
        return self.row_key(self.rows[index]) if 0 <= index < len(self.rows) else None

    def index_of(self, key: Hashable) -> int | None:
        """Where the row whose `row_key` is `key` is shown (None: it is not)."""
        return next((i for i, r in enumerate(self.rows) if self.row_key(r) == key), None)

    @property
    def selected(self) -> R | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def watch_cursor(self) -> None:
        self._cursor_key = self._key_at(self.cursor)
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
        self.virtual_size = Size(self.line_width(), len(self.rows) + 1)
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        if not self.is_mounted:     # nothing to scroll yet: the first resize brings the cursor into view
            return
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def visible_rows(self) -> list[R]:
        top = int(self.scroll_offset.y)
        return list(self.rows[top: top + max(0, self.size.height - 1)])

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
        """How wide a line is drawn: the pane's inside less its vertical scrollbar, when one shows (a line drawn
        under the scrollbar loses its last columns: the alerts' Age)."""
        return self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        width = self.line_width()
        widths = self.column_widths(width)
        base = self._base_style()
        if self.content_size.height == 1 and (summary := self.summary()) is not None:
            return folded_line(summary, width, base, self.app.console) if y == 0 else Strip.blank(width, base)
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

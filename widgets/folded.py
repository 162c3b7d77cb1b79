"""A pane folded to one line (service health, the timeline, an empty task list at 80x24) says in that line what it
holds: how many workloads are down and the worst, the newest entry. The screen's CSS folds and opens the panes;
each pane only draws what fits the height it is given.
"""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

OPENS = "▸"         # the line stands for a pane that opens where it is


def folded(name: str) -> Text:
    """The start of a folded pane's line: its name, as its border would title it."""
    return Text(f" {OPENS} {name}  ", Style(bold=True), no_wrap=True, end="")


def folded_line(summary: Text, width: int, base: Style, console: Console) -> Strip:
    """`summary` on one line of `width` cells (cut with an ellipsis), over the pane's own style."""
    summary.truncate(width, overflow="ellipsis")
    segments = [Segment(s.text, base + s.style if s.style else base) for s in summary.render(console)
                if s.text != "\n"]
    return Strip(segments).crop_extend(0, width, base)

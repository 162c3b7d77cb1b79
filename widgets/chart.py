"""AlertRate: alerts over the last hour (a minute or a few per column), one row of block characters per severity.

A burst of high-severity alerts five minutes ago is the first thing to see; exact counts are in the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.text import Text
from textual.widget import Widget

BARS = " ▁▂▃▄▅▆▇█"
ROWS = (("high", "High", "bad"), ("medium", "Medium", "warn"), ("low", "Low", "info"),
        ("informational", "Info", "muted"))
MINUTES = 60


def per_minute(counts: Mapping[tuple[str, int], int], now: float, minutes: int = MINUTES) -> dict[str, list[int]]:
    """Counts per severity per minute, oldest first; the last bucket is the current minute.

    `counts` holds alerts per (severity, minute since the epoch): the alerts pane keeps them as rows come and go,
    so the chart reads 240 numbers instead of walking 50,000 rows."""
    out = {key: [0] * minutes for key, _, _ in ROWS}
    current = int(now // 60)
    for (severity, minute), count in counts.items():
        age = current - minute
        if 0 <= age < minutes:
            out.get(severity, out["informational"])[minutes - 1 - age] += count
    return out


def buckets(values: list[int], width: int) -> tuple[list[int], int]:
    """The whole hour in `width` columns: one minute a column when it fits, else several minutes summed."""
    size = max(1, -(-len(values) // max(1, width)))
    start = len(values) % size                       # the partial group is the oldest, so "now" stays exact
    grouped = ([sum(values[:start])] if start else []) + [sum(values[i:i + size])
                                                         for i in range(start, len(values), size)]
    return grouped, size


def bars(values: list[int], peak: int) -> str:
    if peak <= 0:
        return " " * len(values)
    return "".join(BARS[0] if v == 0 else BARS[max(1, round(v / peak * (len(BARS) - 1)))] for v in values)


class AlertRate(Widget):
    """Sparkline rows per severity, scaled to the busiest minute across all severities."""

    COMPONENT_CLASSES = {"rate--bad", "rate--warn", "rate--info", "rate--muted", "rate--axis"}
    DEFAULT_CSS = "AlertRate { height: 6; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Alert rate (last hour)"
        self.counts: dict[str, list[int]] = {key: [0] * MINUTES for key, _, _ in ROWS}
        self._key: tuple = ()

    def show(self, counts: Mapping[tuple[str, int], int], now: datetime) -> None:
        minutes = per_minute(counts, now.timestamp())
        key = tuple(tuple(v) for v in minutes.values())
        if key != self._key:
            self.counts, self._key = minutes, key
            self.refresh()

    def render(self) -> Text:
        width = max(10, self.content_size.width - 13)
        grouped = {key: buckets(values, width)[0] for key, values in self.counts.items()}
        columns = len(next(iter(grouped.values())))
        peak = max((max(v) for v in grouped.values()), default=0)
        text = Text(no_wrap=True, overflow="crop")
        for key, word, tone in ROWS:
            text.append(f"{word:<7}", str(self.get_component_rich_style(f"rate--{tone}")))
            text.append(bars(grouped[key], peak), str(self.get_component_rich_style(f"rate--{tone}")))
            text.append(f" {sum(self.counts[key]):>4}\n")
        axis = f"-{MINUTES}m".ljust(columns - 3) + "now"
        text.append(" " * 7 + axis, str(self.get_component_rich_style("rate--axis")))
        return text

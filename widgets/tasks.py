"""TaskList: the open incident's tasks — who owns each, where it stands, what blocks it."""

from __future__ import annotations

from rich.text import Text
from textual.strip import Strip
from textual.widgets import DataTable

from ..console.incidents import Incident, Task
from ..console.text import clean
from .actions import bindings
from .folded import folded, folded_line
from .labels import TASK_STATUS, label
from .safe import safe_label

# The task text comes last and takes what is left (auto width): narrow panes cut it, not the owner.
COLUMNS = (("id", "#", 3), ("status", "Status", 9), ("owner", "Owner", 9), ("text", "Task ⟂ blocker", None))


class TaskList(DataTable):
    """Bindings live here so the footer shows them when the pane has focus; the screen journals the change."""

    # The list keys move the cursor as in the other lists (DataTable's own End scrolls sideways, past the text,
    # and blanks the pane).
    BINDINGS = [*bindings("tasks"), *bindings("list")]
    COMPONENT_CLASSES = {"tasks--ok", "tasks--warn", "tasks--bad", "tasks--muted", "tasks--info"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        self.border_title = "Tasks"
        self._title = "Tasks"
        self.tasks: list[Task] = []
        self.incident: Incident | None = None      # what a task waits for is the incident's to say
        self._shown: list[tuple[str, ...]] = []

    def on_mount(self) -> None:
        for key, title, width in COLUMNS:
            self.add_column(title, key=key, width=width)

    def _cells(self, task: Task) -> tuple[Text, ...]:
        glyph, word, tone = label(TASK_STATUS, task.status)
        style = str(self.get_component_rich_style(f"tasks--{tone}"))
        muted = str(self.get_component_rich_style("tasks--muted"))
        text = Text(clean(task.text, 200), style=muted if task.done else "")
        if task.blockers and not task.done:
            text.append(f" ⟂ {clean(task.blockers, 80)}", style=str(self.get_component_rich_style("tasks--bad")))
        waiting = self.incident.waiting_on(task) if self.incident is not None and not task.done else []
        if waiting:
            text.append(f" ⧗ waits for {clean(', '.join(waiting), 60)}", style=muted)
        return (Text(clean(task.id, 6)), Text(f"{glyph} {word}", style=style),
                Text(clean(task.owner, 30) if task.owner else "—", style="" if task.owner else muted), text)

    def show(self, incident: Incident | None) -> None:
        """Rebuild only when a task changed; keep the cursor on the same task."""
        tasks = list(incident.tasks.values()) if incident else []
        self.incident = incident
        rendered = [tuple(c.plain + str(c.style) for c in self._cells(t)) for t in tasks]
        done = sum(1 for t in tasks if t.done)
        self.set_class(not tasks, "-empty")      # a small terminal folds an empty list to its one line
        title = f"Tasks ({done}/{len(tasks)} done)" if tasks else "Tasks"
        if title != self._title:            # setting it repaints the pane, even to the same words
            self._title = title
            self.border_title = safe_label(title)
        if rendered == self._shown:
            return
        selected = self.selected.id if self.selected else None
        self.tasks, self._shown = tasks, rendered
        self.clear()
        for task in tasks:
            self.add_row(*self._cells(task), key=task.id)
        if selected:
            index = next((i for i, t in enumerate(tasks) if t.id == selected), 0)
            self.move_cursor(row=index)

    def summary(self) -> Text:
        """Folded to one line (80x24, an empty list or while another pane is open): how many are done and blocked,
        and the first still open; for an empty list, why it is empty."""
        text = folded("Tasks")
        if not self.tasks:
            reason = "none" if self.incident is not None else "none: no open incident"
            return text.append(reason, self.get_component_rich_style("tasks--muted"))
        done = sum(1 for t in self.tasks if t.done)
        text.append(f"{done}/{len(self.tasks)} done")
        blocked = sum(1 for t in self.tasks if t.blockers and not t.done)
        if blocked:
            text.append(f" · {blocked} blocked", self.get_component_rich_style("tasks--bad"))
        first = next((t for t in self.tasks if not t.done), None)
        if first is not None:
            text.append(f" · next: {clean(first.id, 6)} {clean(first.text, 200)}")
        return text

    def render_line(self, y: int) -> Strip:
        if self.content_size.height != 1:
            return super().render_line(y)
        width, base = self.content_size.width, self.rich_style
        return folded_line(self.summary(), width, base, self.app.console) if y == 0 else Strip.blank(width, base)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(row=max(0, self.cursor_row + delta))       # DataTable keeps it on the last row

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, index: int) -> None:
        self.scroll_x = 0
        self.move_cursor(row=index % len(self.tasks) if self.tasks else 0)

    @property
    def selected(self) -> Task | None:
        if not self.tasks or not 0 <= self.cursor_row < len(self.tasks):
            return None
        return self.tasks[self.cursor_row]

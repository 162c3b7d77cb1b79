"""TaskDetailScreen: one task in full — what to do, how to verify it, who owns it, what blocks it, when.

The Tasks pane has room for a few words of each task (at 120 columns, every recovery task reads "SharePoint
Onli…"); Enter opens this card with the whole text wrapped, the verification step on its own line, the live
check's state, the owner and role, the blocker and the times. Playbook text and owners are files' and people's
words, so every value is cleaned and literal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..console.incidents import ROLE_NAMES, Incident, Task
from ..console.playbooks import check_state
from ..console.text import clean
from ..widgets.actions import bindings, key_for
from ..widgets.labels import TASK_STATUS, label
from ..widgets.safe import safe_label

if TYPE_CHECKING:
    from ..console.graph.live import LiveState

CHECK_NAMES = {"service_restored": "service restored", "alerts_resolved": "linked alerts resolved",
               "user_blocked": "user blocked"}
VERIFY = ". Verify: "       # how a playbook's recovery option joins its text and its verification step


def split_verify(text: str) -> tuple[str, str]:
    """A recovery task's text and its verification step ("…. Verify: …"), or the text and ""."""
    head, found, verify = text.rpartition(VERIFY)
    return (head, verify) if found else (text, "")


def describe_task(task: Task, incident: Incident | None, live: LiveState | None,
                  stamp: Callable[[datetime | None], str]) -> Text:
    """Every field of the task as literal text, the long ones wrapped by the card."""
    text = Text()

    def field(name: str, value: object, style: str = "", limit: int | None = 300) -> None:
        text.append(f"{name:<12}", "bold")
        text.append(clean(value, limit, keep_newlines=True) if value not in (None, "") else "—", style)
        text.append("\n")

    glyph, word, _tone = label(TASK_STATUS, task.status)
    body, verify = split_verify(task.text)
    field("Status", f"{glyph} {word}")
    field("Task", body, limit=4000)
    if verify:
        field("Verify", verify, limit=2000)
    role = ROLE_NAMES.get(task.role or "", task.role or "")
    field("Owner", f"{task.owner or 'unassigned'}" + (f" (role: {role})" if role else ""))
    field("Blocked by", task.blockers or "nothing", limit=2000)
    waiting = incident.waiting_on(task) if incident is not None and not task.done else []
    if incident is not None and waiting:
        field("Waits for", "; ".join(f"{other} {incident.tasks[other].text[:80]} ({incident.tasks[other].status})"
                                     for other in waiting), limit=2000)
    if task.milestone:
        field("Milestone", task.milestone)
    if task.check:
        state = check_state(task.check, incident, live) if incident is not None else "unknown"
        what = CHECK_NAMES.get(str(task.check.get("type")), str(task.check.get("type", "?")))
        where = f" ({task.check['service']})" if task.check.get("service") else ""
        field("Live check", f"{what}{where}: {state}")
    if task.action:
        field("Action", str(task.action).replace("_", " "))
    if task.playbook:
        field("Playbook", f"{task.playbook}" + (f", step {task.step}" if task.step else ""))
    field("Added", stamp(task.added_at))
    field("Updated", stamp(task.updated_at))
    if task.done_at is not None:
        field("Done", stamp(task.done_at))
    if task.ticked_by:
        entry = task.ticked_by.get("entry")
        field("Done by", str(task.ticked_by.get("what") or task.ticked_by.get("kind") or "?")
              + (f" (entry #{entry})" if entry else ""))
    return text


class TaskDetailScreen(ModalScreen[None]):
    """Read a task; Escape, Enter or q closes, as on every reading card (the dashboard's task keys act on the task
    when it is selected)."""

    CSS_PATH = "detail.tcss"
    BINDINGS = bindings("task_detail")

    def __init__(self, task: Task, incident: Incident | None, live: LiveState | None,
                 stamp: Callable[[datetime | None], str]) -> None:
        super().__init__()
        self.task_shown, self.incident, self.live, self.stamp = task, incident, live, stamp

    def compose(self) -> ComposeResult:
        task = self.task_shown
        with VerticalScroll() as box:
            box.border_title = safe_label(f"Task {task.id}" + (f" · {self.incident.id}" if self.incident else ""))
            box.border_subtitle = safe_label(f"{key_for(self.app, 'task_detail.close')} close")
            yield Static(describe_task(task, self.incident, self.live, self.stamp), id="task-detail-body")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)

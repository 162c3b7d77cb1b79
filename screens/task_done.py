"""TaskDoneScreen: marking a task done (or open again) names the task and asks, so a stray key never ticks one.

A task marked done tells every console on the journal that the step is finished, and the pane's cursor may be a
row away from the task meant: the question shows the task's id, its words and its owner before anything is written.
"""

from __future__ import annotations

from ..console.incidents import Task
from ..console.text import clean
from ..widgets.actions import bindings
from .question import QuestionScreen


class TaskDoneScreen(QuestionScreen):
    """Dismisses with True to mark the task done (or, when it is done, open again), False to leave it."""

    BINDINGS = bindings("task_dialog")
    YES, NO = "task_dialog.mark", "task_dialog.leave"

    def __init__(self, task: Task) -> None:
        owner = f" (owner: {clean(task.owner, 40)})" if task.owner else ""
        heading = f"Open {task.id} again?" if task.done else f"Mark {task.id} done?"
        super().__init__(heading, f"{clean(task.text, 300)}{owner}", name="task-done")
        self.task_asked = task

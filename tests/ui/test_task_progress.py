"""What a task waits for and what did it, where a responder reads tasks: the Tasks pane says which tasks one waits
for; Enter on it shows them, its milestone, and what ticked it with the journal entry that did."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from warroom.console.journal import Draft, kinds
from warroom.screens.app import WarroomApp
from warroom.screens.task_detail import TaskDetailScreen
from warroom.widgets.tasks import TaskList

from .scenes import fixed_clock, live_state, on_screen, open_warroom

INC = "INC-20261124-01"


async def test_the_tasks_pane_and_card_say_what_a_task_waits_for_and_what_did_it(journal_path: Path) -> None:
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    action = await warroom.record(kinds.TASK_ADDED, {"task_id": "T4", "text": "Block the sender",
                                                     "action": "block_sign_in"}, incident=INC)
    await warroom.record_many([
        Draft(kinds.TASK_ADDED, {"task_id": "T5", "text": "Tell users mail flows again", "after": ["T3", "T4"],
                                 "milestone": "Users informed"}, INC)])
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    async with on_screen(app, (120, 40)) as pilot:
        tasks = app.screen.query_one(TaskList)
        row = " ".join(cell.plain for cell in tasks._cells(tasks.tasks[-1]))
        assert "waits for T3, T4" in row
        action = await warroom.record(kinds.ACTION, {"action": "block_sign_in", "target": "eve@x", "result": "ok"},
                                      incident=INC)
        await pilot.pause()
        assert warroom.incident.tasks["T4"].done
        row = " ".join(cell.plain for cell in tasks._cells(tasks.tasks[-1]))
        assert "waits for T3" in row and "T4" not in row.split("waits for")[1]
        tasks.focus()
        for index in (4, 3):            # T5, then T4
            tasks.move_cursor(row=index)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TaskDetailScreen)
            card = str(app.screen.query_one("#task-detail-body", Static).render())
            if index == 4:
                assert "Waits for   T3 Check mail queues on hybrid servers (blocked)" in card
                assert "Milestone   Users informed" in card
            else:
                assert f"Done by     block_sign_in eve@x succeeded (entry #{action.seq})" in card
            await pilot.press("escape")
            await pilot.pause()

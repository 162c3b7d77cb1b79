"""The lifecycle in the console: an incident declared by `warroom declare` in another shell appears at once and a
status changed there shows in the banner; the status set by key, a proposal accepted by key, the linked Microsoft
issue readable once restored and unlisted, the hand-off page."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList, Static
from warroom.console.cli import main
from warroom.console.journal import kinds
from warroom.screens.app import WarroomApp
from warroom.screens.handoff import HandoffScreen
from warroom.screens.issue_detail import IssueDetailScreen
from warroom.screens.messages import MessageCenterScreen
from warroom.screens.prompt import PromptScreen
from warroom.screens.status_proposal import StatusProposalScreen
from warroom.widgets.banner import IncidentBanner

from ..waiting import until
from .scenes import fixed_clock, issue, live_state, messages, on_screen, open_warroom


async def test_an_incident_declared_from_a_shell_appears_at_once(journal_path: Path) -> None:
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=False)
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=True)
    async with on_screen(app, (120, 40)) as pilot:
        argv = ["--journal", str(journal_path), "declare", "--category", "service-outage", "--title",
                "Mail stuck in queues", "--service", "Exchange Online"]
        assert await asyncio.to_thread(main, argv) == 0
        banner = app.screen.query_one(IncidentBanner)
        await until(pilot, lambda: "Mail stuck in queues" in str(banner.render()), "the banner shows it")
        incident = warroom.incident
        assert incident is not None and incident.id in str(banner.render())
        argv = ["--journal", str(journal_path), "incident", "status", incident.id, "investigating"]
        assert await asyncio.to_thread(main, argv) == 0
        await until(pilot, lambda: "investigating" in str(banner.render()), "the banner shows the status")


async def _linked_app(journal_path: Path) -> tuple[WarroomApp, Any]:
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    incident = warroom.incident
    await warroom.record(kinds.INCIDENT_LINKED, {"type": "service_issue", "id": "EX226574", "title": "Mail"},
                         incident=incident.id)
    return WarroomApp(warroom, clock=fixed_clock, follow_journal=False), warroom


async def test_status_by_key_proposal_by_key_the_linked_issue_and_the_handoff(journal_path: Path) -> None:
    app, warroom = await _linked_app(journal_path)
    incident = warroom.incident
    async with on_screen(app, (80, 24)) as pilot:
        banner = app.screen.query_one(IncidentBanner)
        # u: the prompt is prefilled with the next status; the words after it say why.
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.query_one(Input).value == "mitigated "
        for char in "OWA works":
            await pilot.press(char if char != " " else "space")
        await pilot.press("enter")
        await until(pilot, lambda: incident.status == "mitigated",
                    f"the status changed {[n.message for n in app._notifications]}")
        assert incident.history[-1].text == "OWA works"
        # Microsoft restores its issue: the banner proposes monitoring; A accepts it.
        await pilot.press("A")          # nothing proposed yet: nothing happens
        await pilot.pause()
        assert incident.status == "mitigated"
        live = warroom.live
        live.issues["EX226574"] = issue(status="serviceRestored")._replace(is_resolved=True)
        del live.issues["EX226574"]                 # and Graph stops listing it
        live.kept_issues["EX226574"] = issue(status="serviceRestored")._replace(is_resolved=True)
        app.live_changed({"issues"})
        await until(pilot, lambda: "A: monitoring?" in str(banner.render()), "the banner proposes it")
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, StatusProposalScreen), "A asks")
        await pilot.press("y")
        await until(pilot, lambda: incident.status == "monitoring", "the proposal accepted")
        entry = (await warroom.journal.entries(kinds=[kinds.INCIDENT_STATUS]))[-1]
        assert entry.body["proposed"]["why"] == "Microsoft marked its issue restored"
        # M: the linked issue is still readable, restored and no longer listed.
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, IssueDetailScreen), "the issue opens")
        await pilot.press("escape")
        await pilot.pause()
        # H: the hand-off page.
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, HandoffScreen), "the hand-off opens")
        text = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Status: monitoring since" in text and "EX226574" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HandoffScreen)


async def _restored(pilot, app: WarroomApp, warroom) -> None:
    """Microsoft restores the linked issue: the banner proposes monitoring."""
    restored = issue(status="serviceRestored")._replace(is_resolved=True)
    warroom.live.issues["EX226574"] = restored
    app.live_changed({"issues"})
    banner = app.screen.query_one(IncidentBanner)
    await until(pilot, lambda: "A: monitoring?" in str(banner.render()), "the banner proposes monitoring")


async def _statuses(warroom) -> list[dict]:
    return [e.body for e in await warroom.journal.entries(kinds=[kinds.INCIDENT_STATUS])]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_proposal_is_accepted_only_when_the_question_naming_it_is_answered(journal_path: Path,
                                                                                   size) -> None:
    """A stray "As…" typed on the dashboard never changes the status: A asks, naming the incident, its status and
    the one proposed, with why; any other key is no; y (or Enter) accepts."""
    app, warroom = await _linked_app(journal_path)
    incident = warroom.incident
    async with on_screen(app, size) as pilot:
        await _restored(pilot, app, warroom)
        dashboard, before = app.screen, await _statuses(warroom)
        await pilot.press("A", "s", "k")                  # "Ask…" typed where no prompt was open
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert incident.status == "investigating" and await _statuses(warroom) == before
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, StatusProposalScreen), "A asks")
        question = app.screen
        heading = str(question.query_one(".heading", Static).render())
        body = str(question.query_one("#status-proposal-body", Static).render())
        assert f"Move {incident.id} to monitoring?" in heading
        assert "Exchange Online mail flow outage" in body
        assert "investigating → monitoring" in body and "Microsoft marked its issue restored" in body
        assert question.query_one("#status-proposal-yes").region.bottom <= size[1]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is dashboard, "Esc answers no")
        await pilot.press("A", "n")
        await until(pilot, lambda: app.screen is dashboard, "n answers no")
        assert incident.status == "investigating" and await _statuses(warroom) == before
        await pilot.press("A", "enter")
        await until(pilot, lambda: incident.status == "monitoring", "Enter accepts")
        assert app.screen is dashboard
        [accepted] = (await _statuses(warroom))[len(before):]
        assert accepted["status"] == "monitoring" and accepted["proposed"]["why"]


async def test_the_message_center_marks_what_touches_the_incident_and_reads_literally(journal_path: Path) -> None:
    app, warroom = await _linked_app(journal_path)
    warroom.live.messages = messages()
    async with on_screen(app, (80, 24)) as pilot:
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, MessageCenterScreen), "the message center opens")
        screen = app.screen
        assert [m.id for m in screen.messages] == ["MC900001", "MC900002", "MC900003"]
        assert screen.marked == [True, False, False]        # Exchange Online is the incident's service
        first = str(screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert first.startswith("◆ MC900001") and "act by 2026-12-31" in first and "Admin impact" in first
        await pilot.press("end", "enter")
        await pilot.pause()
        body = screen.query_one("#message-body", Static).render()
        assert "[bold]body[/bold]" in str(body) and "\x1b" not in str(body)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MessageCenterScreen)

"""End to end: the real `warroom demo` in tmux — panes appear, keys work, the note reaches the journal.

Private tmux server (-L), HOME and journal per test; the simulated tenant binds 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..review.review_tools import incident_drafts, write
from ..waiting import until_sync

pytestmark = [pytest.mark.slow, pytest.mark.tmux,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

WARROOM = Path(sys.executable).with_name("warroom")


class Tmux:
    def __init__(self, tmp: Path) -> None:
        self.socket = f"warroom-test-{os.getpid()}-{tmp.name}"
        self.tmp = tmp

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def start(self, command: str, size: tuple[int, int] = (120, 40)) -> None:
        self.run("new-session", "-d", "-s", "t", "-x", str(size[0]), "-y", str(size[1]), command)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", "t", *(["-l"] if literal else []), *keys)

    def wait_for(self, text: str, seconds: float = 30.0) -> str:
        """Bounded wait for text on screen (a deadline to fail by, not a speed assertion)."""
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; screen was:\n{screen}")
            time.sleep(0.2)

    def wait_until(self, holds: Callable[[str], Any], seconds: float = 30.0, *, what: str = "the screen") -> str:
        """Bounded wait until the screen satisfies `holds` (a deadline to fail by); a failure shows the screen."""
        seen = [""]

        def shown() -> Any:
            seen[0] = self.screen()
            return holds(seen[0])

        try:
            until_sync(shown, within=seconds, every=0.1, what=what)
        except AssertionError as error:
            raise AssertionError(f"{error}; screen was:\n{seen[0]}") from None
        return seen[0]

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux(tmp_path: Path):
    session = Tmux(tmp_path)
    yield session
    session.kill()


def flat(screen: str) -> str:
    """The screen as one line of words, borders dropped: at 80 columns a dialog's sentence may wrap."""
    return " ".join(re.sub("[\u2500-\u259f]", " ", screen).split())


def demo_command(tmp: Path, journal: Path, *, exec_: bool = False) -> str:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return (f"{'exec ' if exec_ else ''}env -i PATH=/usr/bin:/bin HOME={home} TERM=xterm-256color LANG=C.UTF-8 "
            f"WARROOM_RESPONDER=tmux-tester {WARROOM} demo --journal {journal} --scenario compromised-account")


def exited(tmp_path: Path) -> str:
    """What the shell wrote once warroom ended (`EXIT=0`), waited for."""
    status = tmp_path / "exit"
    return until_sync(lambda: status.exists() and status.read_text().strip(), what="warroom to exit")


def test_demo_filter_open_alert_add_note(tmux: Tmux, tmp_path: Path) -> None:
    journal = tmp_path / "journal.db"
    tmux.start(demo_command(tmp_path, journal) + f" ; echo EXIT=$? > {tmp_path / 'exit'}")
    screen = tmux.wait_for("Service health")
    assert "DEMO" in screen and "simulated: compromised-account" in tmux.wait_for("simulated: compromised")
    tmux.wait_for("Anonymous IP")

    tmux.keys("/")
    tmux.keys("anonymous", literal=True)
    screen = tmux.wait_for("filter: anonymous")
    assert "Alerts (1 of " in screen                   # the others are filtered out
    tmux.keys("Enter")                                  # back to the table
    tmux.wait_for("⏎ Details")                          # as a person would (type-ahead: tests/ui/test_type_ahead.py)
    tmux.keys("Enter")                                  # open the alert
    screen = tmux.wait_for("Evidence")
    assert "185.220.101.47" in screen and "T1078.004" in screen
    tmux.keys("Escape")
    tmux.wait_for("Alerts (")

    tmux.keys(":")
    tmux.wait_for("Enter to save")
    tmux.keys("note typed in tmux", literal=True)
    tmux.keys("Enter")
    # In the timeline, the prompt gone, as a person would see it (Enter and q typed together:
    # test_at_80x24_a_note_enter_and_q_typed_together_save_the_note_then_ask_to_quit).
    tmux.wait_until(lambda screen: "note typed in tmux" in screen and "Enter to save" not in screen,
                    what="the note in the timeline, the prompt gone")
    tmux.keys("q")

    assert exited(tmp_path) == "EXIT=0"
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT actor, body FROM entries WHERE kind = 'note'").fetchall()
    assert rows == [("tmux-tester", '{"text":"note typed in tmux"}')]
    stats = subprocess.run([str(WARROOM), "--journal", str(journal), "journal", "stats"], capture_output=True,
                           text=True, env={**os.environ, "HOME": str(tmp_path / "home")})
    assert stats.returncode == 0 and str(journal) in stats.stdout


def test_at_80x24_typing_never_quits_and_q_asks_with_an_incident_open(tmux: Tmux, tmp_path: Path) -> None:
    """Declare from the selected alert, type a sentence on the guided screen (nothing happens), F2 declares; then
    q asks, naming the incident: n stays, q and y quit."""
    journal = tmp_path / "journal.db"
    tmux.start(demo_command(tmp_path, journal) + f" ; echo EXIT=$? > {tmp_path / 'exit'}", size=(80, 24))
    tmux.wait_for("Anonymous IP")
    tmux.keys("d")
    tmux.wait_for("f2 Declare")                    # the form's footer: the screen takes its keys
    tmux.keys("Tab")
    tmux.keys("Required: quarantine quickly", literal=True)
    tmux.keys("Tab", "Tab")
    tmux.keys("q q q", literal=True)
    time.sleep(1)                                       # nothing to wait for: nothing may happen
    assert "Declare an incident" in tmux.screen() and not (tmp_path / "exit").exists()
    tmux.keys("F2")
    tmux.wait_for("Declared INC-")
    tmux.keys("q")
    tmux.wait_for("Quit warroom?")
    # the dialog may be caught half painted: wait for all of it (at 80 columns its sentence wraps, and the panes
    # beside it show through between the lines, so its words are looked for one by one)
    screen = tmux.wait_until(lambda s: all(word in s for word in ("still", "open.", "Stay (n)")),
                             what="the whole quit dialog")
    assert "INC-" in screen
    tmux.keys("n")
    until_sync(lambda: "Quit warroom?" not in tmux.screen(), what="the quit dialog closed")
    assert not (tmp_path / "exit").exists()
    tmux.keys("q")
    tmux.wait_for("Quit warroom?")
    tmux.keys("y")
    assert exited(tmp_path) == "EXIT=0"


def test_at_80x24_block_sign_in_shows_its_result_without_scrolling(tmux: Tmux, tmp_path: Path) -> None:
    """Declare, then B on Megan's alert, type her UPN, F2: the outcome with its request id and before/after is on
    the 80x24 screen (the result line above the buttons), and the buttons are whole."""
    megan = "megan.bowen@contoso.onmicrosoft.com"
    tmux.start(demo_command(tmp_path, tmp_path / "journal.db"), size=(80, 24))
    tmux.wait_for("Anonymous IP")
    tmux.keys("d")
    tmux.wait_for("f2 Declare")                    # the form's footer: the screen takes its keys
    tmux.keys("F2")
    tmux.wait_for("Declared INC-")
    tmux.keys("/")
    tmux.keys("Anonymous", literal=True)
    tmux.keys("Enter")
    tmux.wait_for("⏎ Details")
    tmux.keys("B")
    screen = tmux.wait_for("Type the UPN")
    assert "Back (Esc)" in screen and "Run action (F2)" in screen
    tmux.keys(megan, literal=True)
    tmux.keys("F2")
    screen = tmux.wait_for("request id")
    assert "before: accountEnabled=True" in screen and "after: accountEnabled=False" in screen


def test_closing_the_terminal_ends_the_console(tmux: Tmux, tmp_path: Path) -> None:
    """A closed PuTTY window must not leave a process spinning: SIGHUP exits."""
    tmux.start(demo_command(tmp_path, tmp_path / "journal.db", exec_=True))
    tmux.wait_for("Service health")
    pid = int(tmux.run("list-panes", "-t", "t", "-F", "#{pane_pid}").strip())
    tmux.kill()

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    try:
        until_sync(gone, within=20, what="warroom to end after its terminal closed")
    finally:
        if not gone():
            os.kill(pid, 9)


def test_at_80x24_a_pane_key_and_the_next_key_typed_together_act_on_that_pane(tmux: Tmux, tmp_path: Path) -> None:
    """`3x` in one read (a fast typist, a slow link): x is the Tasks pane's, so the question naming T1 opens; any
    other letter then leaves the task as it was."""
    tmux.start(demo_command(tmp_path, tmp_path / "journal.db"), size=(80, 24))
    tmux.wait_for("Anonymous IP")
    tmux.keys("d")
    tmux.wait_for("f2 Declare")                    # the form's footer: the screen takes its keys
    tmux.keys("F2")
    tmux.wait_for("Declared INC-")
    tmux.keys("2")
    tmux.wait_for("⏎ Details")
    tmux.keys("3x", literal=True)
    tmux.wait_for("Mark T1 done?")
    tmux.keys("u")
    tmux.wait_until(lambda screen: "Mark T1 done?" not in screen and "(0/" in screen,
                    what="the task question closed, no task done")


GUIDED_KEYS = (("a", "Assess INC-"), ("c", "Contain INC-"), ("B", "Contain INC-"), ("R", "Contain INC-"),
               ("E", "Contain INC-"), ("I", "Investigate"), ("h", "Hunt"), ("w", "Defender write-back"),
               ("n", "Communicate INC-"), ("P", "Review INC-"), ("X", "Close INC-"))


def test_at_80x24_a_sentence_typed_on_every_guided_screen_never_quits_or_acts(tmux: Tmux, tmp_path: Path) -> None:
    """Each guided screen opened from the dashboard as a responder would; a sentence typed in its first field and
    the next (letters, digits, Space, q, y, n) leaves the screen where it was; Esc goes back."""
    tmux.start(demo_command(tmp_path, tmp_path / "journal.db") + f" ; echo EXIT=$? > {tmp_path / 'exit'}",
               size=(80, 24))
    tmux.wait_for("Anonymous IP")
    tmux.keys("d")
    tmux.wait_for("f2 Declare")                    # the form's footer: the screen takes its keys
    tmux.keys("F2")
    tmux.wait_for("Declared INC-")
    for key, heading in GUIDED_KEYS:
        tmux.keys("2")
        tmux.wait_for("⏎ Details")
        tmux.keys(key)
        tmux.wait_for(heading)
        tmux.keys("Required: quarantine q y n 4 x!", literal=True)
        tmux.keys("Tab")
        tmux.keys("quit now y", literal=True)
        time.sleep(0.5)                                 # nothing to wait for: nothing may happen
        screen = tmux.screen()
        # A long form (Review) scrolls its focused second field into view and its heading out: the buttons
        # below the form stay in view, so either says the screen is still there.
        assert (heading in screen or "Back (Esc)" in screen) and "Quit warroom?" not in screen, (key, screen)
        assert not (tmp_path / "exit").exists(), key
        tmux.keys("Escape")
        tmux.wait_for("⏎ Details")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_s_and_slash_typed_together_sort_then_filter(tmux: Tmux, tmp_path: Path, size: tuple[int, int]) -> None:
    """`s/anon` in one read: the `s` sorts the alerts it was typed in, `/` opens the filter, the letters after it
    filter; the pane's subtitle says both, and no notification stacks over it."""
    tmux.start(demo_command(tmp_path, tmp_path / "journal.db"), size=size)
    tmux.wait_for("Anonymous IP")
    tmux.keys("2")
    tmux.wait_for("⏎ Details")
    tmux.keys("s/anon", literal=True)
    screen = tmux.wait_for("sort: status ▼ · filter: anon")
    assert "Alerts (1 of " in screen and "sorted by" not in screen


def declared_at_80x24(tmux: Tmux, tmp_path: Path, journal: Path) -> None:
    """The demo at 80x24 with an incident declared from the first alert; the shell writes `exit` when it ends."""
    tmux.start(demo_command(tmp_path, journal) + f" ; echo EXIT=$? > {tmp_path / 'exit'}", size=(80, 24))
    tmux.wait_for("Anonymous IP")
    tmux.keys("d")
    tmux.wait_for("f2 Declare")                    # the form's footer: the screen takes its keys
    tmux.keys("F2")
    tmux.wait_for("Declared INC-")


def test_at_80x24_a_note_enter_and_q_typed_together_save_the_note_then_ask_to_quit(tmux: Tmux,
                                                                                   tmp_path: Path) -> None:
    """`:`, a note, Enter and `q` in one read with an incident open: the note is journaled as typed, the prompt
    closes, and q asks before quitting (n stays)."""
    journal = tmp_path / "journal.db"
    declared_at_80x24(tmux, tmp_path, journal)
    tmux.keys(":", "note typed fast", "Enter", "q")
    tmux.wait_for("Quit warroom?")
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT body FROM entries WHERE kind = 'note'").fetchall()
    assert rows == [('{"text":"note typed fast"}',)]
    tmux.keys("n")
    until_sync(lambda: "Quit warroom?" not in tmux.screen(), what="the quit dialog closed")
    assert not (tmp_path / "exit").exists()


def test_at_80x24_tab_and_the_filter_typed_together_leave_the_focus_in_the_filter(tmux: Tmux,
                                                                                  tmp_path: Path) -> None:
    """Tab, `/` and letters in one read: Tab moves on first, so the focus is in the filter box when the letters
    come, and stays there: the rest of the word typed later filters too (it would act on a pane otherwise)."""
    declared_at_80x24(tmux, tmp_path, tmp_path / "journal.db")
    tmux.keys("2")
    tmux.wait_for("⏎ Details")
    tmux.keys("Tab", "/anon")
    # The box or the alerts pane's subtitle, whichever the layout shows at 80x24.
    tmux.wait_until(lambda screen: "filter: anon" in screen or "▊  anon " in screen, what="the filter typed")
    tmux.keys("ymous", literal=True)
    tmux.wait_until(lambda screen: "filter: anonymous" in screen or "▊  anonymous " in screen,
                    what="the rest of the word in the box, still focused")


def test_at_80x24_the_browsers_t_and_j_typed_together_move_in_the_timeline(tmux: Tmux, tmp_path: Path) -> None:
    """`warroom browse` at 80x24: from the incident list (i), `tj` in one read goes back to the timeline and moves
    to its second entry."""
    journal = tmp_path / "journal.db"
    write(journal, incident_drafts())
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    tmux.start(f"env -i PATH=/usr/bin:/bin HOME={home} TERM=xterm-256color LANG=C.UTF-8 {WARROOM} --journal "
               f"{journal} browse", size=(80, 24))
    tmux.wait_for("Chain intact")
    tmux.wait_for("#1 incident.declared")
    tmux.keys("i")
    tmux.wait_for("╭─ Incidents")
    tmux.keys("tj", literal=True)
    screen = tmux.wait_for("#2 incident.role")
    assert "╭─ Incidents" not in screen             # the list gave its room back to the timeline


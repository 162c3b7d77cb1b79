"""Device-code sign-in inside the console: the prompt arrives on azure-identity's thread and reaches the screen.

Microsoft's sign-in service is outside this machine, so `sign_in` is replaced by a stand-in that behaves like
azure-identity's: it calls the prompt from a worker thread, then returns the user (or raises).
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from textual.app import App
from textual.widgets import Static
from warroom.console.clouds import resolve
from warroom.console.config import load_config
from warroom.screens.sign_in import SignInScreen

from .waiting import until

HOSTILE_CODE = "ABCD-1234\x1b]52;c;ZXZpbA==\x07[bold]"


class Host(App[None]):
    def __init__(self, screen: SignInScreen) -> None:
        super().__init__()
        self.sign_in_screen = screen
        self.result: str | bool | None = False

    def on_mount(self) -> None:
        self.push_screen(self.sign_in_screen, callback=lambda user: setattr(self, "result", user))


def stand_in(release: threading.Event, *, fail: bool = False):
    async def sign_in(config, endpoint, prompt) -> str:
        def flow() -> str:
            prompt("https://microsoft.com/devicelogin", HOSTILE_CODE, datetime(2026, 11, 24, 3, 15, tzinfo=UTC))
            release.wait(10)
            if fail:
                raise RuntimeError("AADSTS70016: the user did not finish signing in")
            return "alice@contoso.onmicrosoft.com"

        return await asyncio.to_thread(flow)

    return sign_in


def rendered(app: App, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_the_code_is_shown_copied_and_the_user_returned() -> None:
    release = threading.Event()
    screen = SignInScreen(load_config(), resolve("global", None), sign_in=stand_in(release))
    app = Host(screen)
    async with app.run_test() as pilot:
        await until(pilot, lambda: rendered(app, "#sign-in-code"), "the code on screen")
        shown = rendered(app, "#sign-in-code")
        assert shown.startswith("ABCD-1234") and "\x1b" not in shown and "[bold]" in shown
        assert "microsoft.com/devicelogin" in rendered(app, "#sign-in-steps")
        await pilot.press("y")
        assert app.clipboard == screen.code
        release.set()
        await until(pilot, lambda: app.result is not False, "the screen's answer")
    assert app.result == "alice@contoso.onmicrosoft.com"


async def test_a_failed_sign_in_says_why_and_esc_closes() -> None:
    release = threading.Event()
    release.set()
    screen = SignInScreen(load_config(), resolve("global", None), sign_in=stand_in(release, fail=True))
    app = Host(screen)
    async with app.run_test() as pilot:
        await until(pilot, lambda: "failed" in rendered(app, "#sign-in-message"), "the failure on screen")
        assert "AADSTS70016" in rendered(app, "#sign-in-message")
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None

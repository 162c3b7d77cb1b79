"""Device-code sign-in inside the console: the code and URL on screen, the credential off the event loop.

On a jump host there is no browser: the responder opens the URL on their own machine and types the code.
azure-identity's DeviceCodeCredential is synchronous, so `auth.sign_in` runs it in a thread and calls our
prompt from that thread; the prompt hands the code to the screen with `call_from_thread`.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..console.clouds import Endpoint
from ..console.config import Config
from ..console.graph.auth import SignInFlow
from ..console.graph.auth import sign_in as device_code_sign_in
from ..console.text import clean
from ..widgets.actions import bindings, key_for


class SignInScreen(ModalScreen[str | None]):
    """Shows the device code; dismisses with the signed-in user, or None when cancelled or failed."""

    CSS_PATH = "sign_in.tcss"
    BINDINGS = bindings("sign_in")

    def __init__(self, config: Config, endpoint: Endpoint, *, sign_in: SignInFlow = device_code_sign_in) -> None:
        super().__init__()
        self.config = config
        self.endpoint = endpoint
        self._sign_in = sign_in
        self.code: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="sign-in"):
            yield Static(Text("Sign in to Microsoft Graph", style="bold"), classes="heading")
            where = f"Cloud: {self.endpoint.cloud.name}  ·  {clean(self.endpoint.base_url, limit=120)}"
            yield Static(Text(where), id="sign-in-cloud")
            yield Static(Text("Asking Microsoft for a device code…"), id="sign-in-steps")
            yield Static("", id="sign-in-code")
            yield Static("", id="sign-in-message")
        yield Footer()

    def on_mount(self) -> None:
        self.run_worker(self._run(), group="sign-in", exit_on_error=False)

    def _prompt(self, uri: str, code: str, expires_on: datetime) -> None:
        """Called by azure-identity on its own thread."""
        self.app.call_from_thread(self.show_code, uri, code, expires_on)

    def show_code(self, uri: str, code: str, expires_on: datetime) -> None:
        self.code = clean(code, limit=40)
        expires = expires_on.strftime("%H:%M UTC") if expires_on else "soon"
        self.query_one("#sign-in-steps", Static).update(Text.assemble(
            "On any machine with a browser, open\n  ", (clean(uri, limit=200), "bold underline"),
            f"\nand enter the code below (it expires at {expires}). "
            f"Press {key_for(self.app, 'sign_in.copy_code')} to copy it.",
        ))
        self.query_one("#sign-in-code", Static).update(Text(self.code, style="bold reverse"))

    async def _run(self) -> None:
        try:
            user = await self._sign_in(self.config, self.endpoint, self._prompt)
        except Exception as error:  # azure-identity raises many kinds; the responder needs the words
            self.query_one("#sign-in-message", Static).update(
                Text(f"Sign-in failed: {clean(error, limit=300)}. {key_for(self.app, 'sign_in.cancel')} to close; "
                     "`warroom login` works too.",
                     style="bold")
            )
            return
        self.dismiss(clean(user, limit=120))

    def action_copy_code(self) -> None:
        if self.code:
            self.app.copy_to_clipboard(self.code)
            self.notify(f"Copied the device code {self.code} (OSC 52)", markup=False)

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "sign-in")
        self.dismiss(None)

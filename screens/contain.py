"""ContainScreen: block sign-in, revoke sessions, confirm compromised, enhanced monitoring, preserve evidence.

Destructive actions are deliberate: the exact request is previewed, the UPN must be typed to confirm, a dry
run is one checkbox away, and read-only or offline modes only ever preview. Results (with request id, before
and after state and how to reverse) are journaled by console/containment.py; the screen only shows them.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from ..console import containment
from ..console.journal import kinds
from ..console.session import WarRoom
from .guided import GuidedScreen

ACTIONS = {
    "block_sign_in": "Block sign-in (accountEnabled=false)",
    "revoke_sessions": "Revoke sign-in sessions",
    "confirm_compromised": "Confirm compromised (Identity Protection)",
    "enable_sign_in": "Re-enable sign-in (reversal of a block)",
    "preserve_evidence": "Preserve evidence (read only)",
    "enhanced_monitoring": "Enhanced monitoring (watch list)",
}
READ_ONLY_ACTIONS = ("preserve_evidence", "enhanced_monitoring")


def suggested_upn(warroom: WarRoom, context: dict[str, Any]) -> str:
    """The account the alert or risky-user list points at, so the responder starts from the right one."""
    if context.get("upn"):
        return str(context["upn"])
    live = warroom.live
    if live is None:
        return ""
    alert = live.alerts.get(context.get("alert_id") or "")
    if alert and alert.users:
        return alert.users[0]
    risky = [u for u in live.risky_users.values() if u.risk_state in ("atRisk", "confirmedCompromised")]
    return risky[0].upn if risky else ""


def user_ips(warroom: WarRoom, upn: str) -> list[str]:
    live = warroom.live
    ips: list[str] = []
    for alert in (live.alerts.values() if live else []):
        if upn.casefold() in (u.casefold() for u in alert.users):
            ips += [ip for ip in alert.ips if ip not in ips]
    return ips


class ContainScreen(GuidedScreen):
    CSS_PATH = "contain.tcss"
    BINDINGS = [
        Binding("f2", "execute", "Run action", id="contain.execute"),
        Binding("f3", "offer_reversal", "Reverse last", id="contain.reverse"),
        Binding("f4", "mark_contained", "Mark contained", id="contain.mark_contained"),
    ]

    def __init__(self, warroom: WarRoom, *, action: str | None = None, **context: Any) -> None:
        super().__init__(warroom, **context)
        self.initial_action = action if action in ACTIONS else "block_sign_in"
        self.last_reversal: tuple[str, str] | None = None    # (action, upn) the last success can be undone by
        self.log_lines: list[str] = []                      # newest first

    def _mode_line(self) -> str:
        wr = self.warroom
        if not wr.can_execute_actions:
            why = "read-only" if wr.config.get("read_only") else f"{wr.mode} mode" if wr.gateway else "no tenant"
            return f"Actions are disabled ({why}): requests are previewed and journaled as dry runs."
        if containment.dry_run_active(wr):
            return "Dry run is on (--dry-run / dry_run): requests are previewed and journaled, never sent."
        return f"{wr.mode}: actions are sent to {wr.tenant_label or 'the tenant'} once, never retried."

    def compose(self) -> ComposeResult:
        incident = self.incident
        with VerticalScroll(id="contain-form"):
            title = f"Contain {incident.id}: {incident.title}" if incident else "Contain"
            yield Static(title, classes="heading")
            yield Static(self._mode_line(), id="contain-mode")
            with Horizontal(classes="row"):
                yield Label("User (UPN)", classes="field-label")
                yield Input(value=suggested_upn(self.warroom, self.context), placeholder="name@contoso.com",
                            compact=True, id="contain-upn")
            with Horizontal(classes="row"):
                yield Label("Action", classes="field-label")
                yield Select([(label, key) for key, label in ACTIONS.items()], value=self.initial_action,
                             allow_blank=False, compact=True, id="contain-action")
            yield Static(id="contain-preview")
            with Horizontal(classes="row"):
                yield Label("", classes="field-label")
                yield Checkbox("Dry run (preview and journal only)", value=not self.warroom.can_execute_actions
                               or containment.dry_run_active(self.warroom), compact=True, id="contain-dry-run")
            with Horizontal(classes="row"):
                yield Label("Type the UPN to confirm", classes="field-label")
                yield Input(placeholder="exactly as above", compact=True, id="contain-confirm")
            with Horizontal(classes="buttons"):
                yield Button("Run action (F2)", id="contain-execute", variant="error")
                yield Button("Reverse last (F3)", id="contain-reverse", disabled=True)
                yield Button("Mark contained (F4)", id="contain-contained")
                yield Button("Back (Esc)", id="contain-back")
            yield Static("", id="message")
            yield Static("", id="contain-log")
        yield Footer()

    def on_mount(self) -> None:
        self._refresh_preview()
        # With the account already known, the next thing to do is to confirm it: focus goes there.
        self.query_one("#contain-confirm" if self.upn else "#contain-upn", Input).focus()

    # -- preview --------------------------------------------------------------------------------------

    @property
    def action(self) -> str:
        return str(self.query_one("#contain-action", Select).value)

    @property
    def upn(self) -> str:
        return self.query_one("#contain-upn", Input).value.strip()

    def _refresh_preview(self) -> None:
        preview = self.query_one("#contain-preview", Static)
        action, upn = self.action, self.upn
        if action == "preserve_evidence":
            preview.update("Reads (GET) the user object, recent sign-ins, directory audits and the related alerts;"
                           "\neach is journaled as evidence with its SHA-256. Nothing in the tenant changes.")
            return
        if action == "enhanced_monitoring":
            ips = ", ".join(user_ips(self.warroom, upn)) or "none known"
            preview.update(f"Adds {upn or 'the user'} and IP addresses ({ips}) to the incident's watch list "
                           "(journaled). Nothing in the tenant changes.")
            return
        try:
            plan = containment.plan_action(action, upn or "user@domain")
        except ValueError as error:
            preview.update(str(error))
            return
        request = containment.preview(plan, self.warroom.gateway)
        body = request["body"] or "(no body)"
        preview.update(f"{request['method']} {request['url']}\nBody: {body}\nTo reverse: {plan.reversal}")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "contain-upn":
            self._refresh_preview()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "contain-action":
            self._refresh_preview()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers = {"contain-execute": self.action_execute, "contain-reverse": self.action_offer_reversal,
                    "contain-contained": self.action_mark_contained, "contain-back": self.action_back}
        handler = handlers.get(event.button.id or "")
        if handler:
            handler()

    # -- running --------------------------------------------------------------------------------------

    def action_execute(self) -> None:
        action, upn = self.action, self.upn
        if not upn or "@" not in upn:
            self.say("Give the user's UPN (name@domain) first.", error=True)
            return
        typed = self.query_one("#contain-confirm", Input).value
        if action not in READ_ONLY_ACTIONS and typed.strip().casefold() != upn.casefold():
            self.say(f"Type the UPN exactly ({upn}) in the confirmation field. Nothing was sent.", error=True)
            return
        self.query_one("#contain-execute", Button).disabled = True
        self.say(f"Running {ACTIONS[action].split(' (')[0].lower()} for {upn}…")
        self.run_worker(self._run(action, upn, typed), exclusive=True, group="contain")

    async def _run(self, action: str, upn: str, typed: str) -> None:
        incident = self.incident.id if self.incident else None
        try:
            if action == "preserve_evidence":
                lines = await containment.preserve_evidence(self.warroom, upn, incident=incident)
                self._log(f"Evidence for {upn}:\n  " + "\n  ".join(lines))
                self.say("Evidence preserved in the journal (SHA-256 per piece).")
            elif action == "enhanced_monitoring":
                ips = user_ips(self.warroom, upn)
                await containment.watch(self.warroom, upn, ips, incident=incident)
                self.say(f"On the watch list: {', '.join([upn, *ips])}.")
            else:
                await self._run_graph_action(action, upn, typed, incident)
        except Exception as error:  # journal refused, no tenant: say it, keep the screen usable
            self.say(f"Failed: {error}", error=True)
        finally:
            self.query_one("#contain-execute", Button).disabled = False
            self.query_one("#contain-confirm", Input).value = ""

    async def _run_graph_action(self, action: str, upn: str, typed: str, incident: str | None) -> None:
        plan = containment.plan_action(action, upn)
        dry_run = self.query_one("#contain-dry-run", Checkbox).value
        outcome = await containment.execute(self.warroom, plan, typed_upn=typed, incident=incident,
                                            dry_run=dry_run)
        self.say(outcome.message, error=outcome.result in ("failed", "refused"))
        body = outcome.body
        details = [f"{plan.title} {upn}: {outcome.result}"]
        if body.get("request_id"):
            details.append(f"  request id {body['request_id']}")
        if body.get("before") is not None:
            details.append(f"  before: accountEnabled={body['before'].get('accountEnabled')}")
        if isinstance(body.get("after"), dict) and "accountEnabled" in body["after"]:
            details.append(f"  after:  accountEnabled={body['after'].get('accountEnabled')}")
        details.append(f"  to reverse: {plan.reversal}")
        self._log("\n".join(details))
        if outcome.result == "ok" and plan.reversal_action:
            self.last_reversal = (plan.reversal_action, upn)
            self.query_one("#contain-reverse", Button).disabled = False

    def action_offer_reversal(self) -> None:
        """Load the reversal into the form; it still needs the UPN typed and F2, like any action."""
        if self.last_reversal is None:
            self.say("Nothing to reverse yet: only a successful block can be undone from here.")
            return
        action, upn = self.last_reversal
        self.query_one("#contain-action", Select).value = action
        self.query_one("#contain-upn", Input).value = upn
        self.query_one("#contain-confirm", Input).focus()
        self.say(f"Reversal ready: {ACTIONS[action]}. Type the UPN and press F2 to send it.")

    def action_mark_contained(self) -> None:
        """The responder's call, not the tool's: the threat is contained (time to contain stops here)."""
        incident = self.incident
        if incident is None:
            return
        if incident.status == "contained":
            self.say(f"{incident.id} is already marked contained.")
            return
        self.run_worker(self._mark_contained(incident.id), exclusive=True, group="status")

    async def _mark_contained(self, incident_id: str) -> None:
        try:
            await self.warroom.record(kinds.INCIDENT_STATUS, {"status": "contained", "text": "Threat contained"},
                                      incident=incident_id)
        except Exception as error:
            self.say(f"Not recorded: {error}", error=True)
            return
        self.say(f"{incident_id} marked contained.")

    def _log(self, text: str) -> None:
        self.log_lines.insert(0, text)
        self.query_one("#contain-log", Static).update("\n\n".join(self.log_lines))

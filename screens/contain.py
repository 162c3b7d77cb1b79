"""ContainScreen: block sign-in, revoke sessions, confirm compromised, enhanced monitoring, preserve evidence.

Destructive actions are deliberate: the exact request is previewed, the UPN must be typed to confirm, a dry
run is one checkbox away, and read-only or offline modes only ever preview. Results (with request id, before
and after state and how to reverse) are journaled by console/containment.py; the screen only shows them.

One action at a time: F2 is refused while an action runs, and the workers that write to Graph or the journal
are never exclusive (cancelling one after its request went out would leave a change half recorded). The
preview is the request: confirm compromised looks up the user's object id first and shows the real body.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from ..console import containment
from ..console.graph.errors import GraphError, SignInRequired
from ..console.journal import kinds
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.text import literal
from ..widgets.actions import bindings, key_for, labelled
from ..widgets.safe import safe_options
from .guided import GuidedScreen, fold_url, heading, plain

ACTIONS = {
    "block_sign_in": "Block sign-in (accountEnabled=false)",
    "revoke_sessions": "Revoke sign-in sessions",
    "confirm_compromised": "Confirm compromised (Identity Protection)",
    "enable_sign_in": "Re-enable sign-in (reversal of a block)",
    "preserve_evidence": "Preserve evidence (read only)",
    "enhanced_monitoring": "Enhanced monitoring (watch list)",
}
READ_ONLY_ACTIONS = ("preserve_evidence", "enhanced_monitoring")


def account_line(subject: Subject) -> str:
    """Where the account field's value came from, or that nothing selected names one (it is never guessed)."""
    what = f"{subject.name} {subject.id}".strip()
    if not subject.accounts:
        if subject.kind == "nothing":
            return "Nothing selected names an account: type the user's UPN."
        return f"The {what} names no account: type the user's UPN."
    if subject.kind == "account":
        return f"Account chosen: {subject.account}."
    others = f" (it also names {', '.join(subject.accounts[1:4])})" if len(subject.accounts) > 1 else ""
    return f"Account named by the {what}: {subject.account}{others}."


def user_ips(warroom: WarRoom, upn: str) -> list[str]:
    live = warroom.live
    ips: list[str] = []
    for alert in (live.alerts.values() if live else []):
        if upn.casefold() in (u.casefold() for u in alert.users):
            ips += [ip for ip in alert.ips if ip not in ips]
    return ips


class ContainScreen(GuidedScreen):
    CSS_PATH = ["guided.tcss", "contain.tcss"]
    BINDINGS = bindings("contain")
    ACTION_PLACES = ("contain", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, action: str | None = None,
                 incident_id: str | None = None) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        self.initial_action = action if action in ACTIONS else "block_sign_in"
        self.last_reversal: tuple[str, str] | None = None    # (action, upn) the last success can be undone by
        self.log_lines: list[str] = []                      # newest first
        self.running = False                                # an action is under way: F2 is refused
        self.user_ids: dict[str, str] = {}                  # UPN (casefolded) -> object id, or an error text
        self.previewed: dict[str, Any] | None = None        # the request the preview shows, exactly

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("execute", "back") and self.running:
            return None     # shown greyed out in the footer; the key does nothing
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        """Not while an action runs: leaving would cancel it after its request may have gone out."""
        if self.running:
            self.outcome("An action is running: wait for its result before leaving this screen.", error=True)
            return
        super().action_back()

    def _mode_line(self) -> str:
        wr = self.warroom
        if not wr.can_execute_actions:
            why = ("read-only: read_only in the config or WARROOM_READ_ONLY" if wr.config.get("read_only")
                   else f"{wr.mode} mode" if wr.gateway else "no tenant")
            return f"Actions are disabled ({why}): requests are previewed and journaled as dry runs."
        if containment.dry_run_active(wr):
            return ("Dry run is on (dry_run in the config or WARROOM_DRY_RUN): requests are previewed and "
                    "journaled, never sent.")
        return f"{wr.mode}: actions are sent to {wr.tenant_label or 'the tenant'} once, never retried."

    def compose(self) -> ComposeResult:
        incident = self.incident
        with VerticalScroll(id="contain-form"):
            yield Static(heading("Contain", incident), classes="heading")
            yield Static(plain(self._mode_line()), id="contain-mode")
            with Horizontal(classes="row"):
                yield Label("User (UPN)", classes="field-label")
                yield Input(value=self.subject.account, placeholder="name@contoso.com", compact=True,
                            id="contain-upn")
            yield Static(plain(account_line(self.subject)), id="contain-subject")
            with Horizontal(classes="row"):
                yield Label("Action", classes="field-label")
                yield Select(safe_options((label, key) for key, label in ACTIONS.items()), value=self.initial_action,
                             allow_blank=False, compact=True, id="contain-action")
            yield Static(id="contain-preview", markup=False)
            with Horizontal(classes="row"):
                yield Label("", classes="field-label")
                yield Checkbox("Dry run (preview and journal only)", value=not self.warroom.can_execute_actions
                               or containment.dry_run_active(self.warroom), compact=True, id="contain-dry-run")
            with Horizontal(classes="row"):
                yield Label("Type the UPN to confirm", classes="field-label")
                yield Input(placeholder="exactly as above", compact=True, id="contain-confirm")
            yield Static("", id="contain-log")
        yield Static("", id="message")
        with Horizontal(classes="buttons"):
            yield Button(labelled(self.app, "contain.execute"), id="contain-execute",
                         action="screen.execute", variant="error", compact=True)
            yield Button(labelled(self.app, "contain.reverse"), id="contain-reverse",
                         action="screen.offer_reversal", disabled=True, compact=True)
            yield Button(labelled(self.app, "contain.mark_contained"), id="contain-contained",
                         action="screen.mark_contained", compact=True)
            yield Button(labelled(self.app, "guided.back"), id="contain-back", action="screen.back", compact=True)
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

    def _plan(self, action: str, upn: str) -> containment.ActionPlan:
        """The plan the preview shows and F2 sends; confirm compromised only once the object id is known."""
        user_id = None
        if action == "confirm_compromised":
            found = self.user_ids.get(upn.casefold())
            if found is None or found.startswith("!"):
                reason = found[1:] if found else (f"looking up the object id of {upn}…" if self.warroom.gateway
                                                  else "the object id cannot be read without a tenant")
                raise ValueError(f"Confirm compromised needs the user's object id: {reason} Nothing is sent "
                                 "until it is known and shown here.")
            user_id = found
        return containment.plan_action(action, upn, user_id)

    def _refresh_preview(self) -> None:
        preview = self.query_one("#contain-preview", Static)
        action, upn = self.action, self.upn
        self.previewed = None
        if action == "preserve_evidence":
            preview.update(plain("Reads (GET) the account's investigation (user, risk, sign-ins, audits, inbox "
                                 "rules,\nmailbox settings, auth methods, consents) and the related alerts; each is "
                                 "journaled\nas evidence with its SHA-256. Nothing in the tenant changes."))
            return
        if action == "enhanced_monitoring":
            ips = ", ".join(user_ips(self.warroom, upn)) or "none known"
            preview.update(plain(f"Adds {upn or 'the user'} and IP addresses ({ips}) to the incident's watch list "
                                 "(journaled). Nothing in the tenant changes."))
            return
        if action == "confirm_compromised" and "@" in upn and upn.casefold() not in self.user_ids:
            self._look_up(upn)
        try:
            plan = self._plan(action, upn or "user@domain")
        except ValueError as error:
            preview.update(plain(str(error)))
            return
        request = containment.preview(plan, self.warroom.gateway)
        self.previewed = request if upn else None
        body = request["body"] or "(no body)"
        # literal(): the request exactly, with any control or BiDi character shown as an escape, not obeyed; a long
        # URL is broken between path segments, never mid-word.
        line = fold_url(f"{literal(request['method'])} {literal(request['url'])}", self._preview_width())
        preview.update(plain(f"{line}\nBody: {literal(body)}\nTo reverse: {plan.reversal}"))

    def _preview_width(self) -> int:
        """The preview's text width: the screen less the form's padding and the preview's border and padding."""
        return max(20, (self.size.width or self.app.size.width) - 8)

    def on_resize(self) -> None:
        if self.is_mounted:
            self._refresh_preview()

    @work(exclusive=True, group="lookup", exit_on_error=False)
    async def _look_up(self, upn: str) -> None:
        """GET users/{upn}?$select=id,...: read only, so a newer UPN may cancel an older lookup."""
        gateway = self.warroom.gateway
        if gateway is None:
            return
        try:
            self.user_ids[upn.casefold()] = await containment.lookup_user_id(gateway, upn)
        except (GraphError, SignInRequired) as error:
            plan = containment.ActionPlan("confirm_compromised", upn, "GET", "", None, "")
            self.user_ids[upn.casefold()] = "!" + containment.explain(error, plan)
        if self.upn.casefold() == upn.casefold():
            self._refresh_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "contain-upn":
            self._refresh_preview()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "contain-action":
            self._refresh_preview()

    # -- running --------------------------------------------------------------------------------------

    def action_execute(self) -> None:
        if self.running:
            self.outcome("An action is already running: wait for its result. Nothing else was sent.", error=True)
            return
        action, upn = self.action, self.upn
        if not upn or "@" not in upn:
            self.outcome("Give the user's UPN (name@domain) first.", error=True)
            return
        typed = self.query_one("#contain-confirm", Input).value
        if action not in READ_ONLY_ACTIONS and typed.strip().casefold() != upn.casefold():
            self.outcome(f"Type the UPN exactly ({upn}) in the confirmation field. Nothing was sent.", error=True)
            return
        plan = None
        if action not in READ_ONLY_ACTIONS:
            try:
                plan = self._plan(action, upn)
            except ValueError as error:
                self.outcome(str(error), error=True)
                if self.user_ids.get(upn.casefold(), "").startswith("!"):
                    del self.user_ids[upn.casefold()]     # the lookup failed: F2 tries it again
                    self._refresh_preview()
                return
            if containment.preview(plan, self.warroom.gateway) != self.previewed:
                self._refresh_preview()
                self.outcome(f"The preview changed: check it and press {key_for(self.app, 'contain.execute')} again. "
                             "Nothing was sent.", error=True)
                return
        self._set_running(True)
        self.say(f"Running {ACTIONS[action].split(' (')[0].lower()} for {upn}…")
        # Not exclusive: a second worker must never cancel one whose request may already be out.
        self.run_worker(self._run(action, upn, typed, plan), group="contain", exit_on_error=False)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.query_one("#contain-execute", Button).disabled = running
        self.refresh_bindings()

    async def _run(self, action: str, upn: str, typed: str, plan: containment.ActionPlan | None) -> None:
        incident = self.incident.id if self.incident else None
        try:
            if action == "preserve_evidence":
                lines = await containment.preserve_evidence(self.warroom, upn, incident=incident)
                self._log(f"Evidence for {upn}:\n  " + "\n  ".join(lines))
                self.outcome("Evidence preserved in the journal (SHA-256 per piece).")
            elif action == "enhanced_monitoring":
                ips = user_ips(self.warroom, upn)
                await containment.watch(self.warroom, upn, ips, incident=incident)
                self.outcome(f"On the watch list: {', '.join([upn, *ips])}.")
            elif plan is not None:
                await self._run_graph_action(plan, typed, incident)
        except Exception as error:  # journal refused, no tenant: say it, keep the screen usable
            self.outcome(f"Failed: {error}", error=True)
        finally:
            self._set_running(False)
            self.query_one("#contain-confirm", Input).value = ""

    async def _run_graph_action(self, plan: containment.ActionPlan, typed: str, incident: str | None) -> None:
        upn = plan.upn
        dry_run = self.query_one("#contain-dry-run", Checkbox).value
        outcome = await containment.execute(self.warroom, plan, typed_upn=typed, incident=incident,
                                            dry_run=dry_run)
        body = outcome.body
        facts = []
        if body.get("request_id") and str(body["request_id"]) not in outcome.message:
            facts.append(f"request id {body['request_id']}")
        if body.get("before") is not None:
            facts.append(f"before: accountEnabled={body['before'].get('accountEnabled')}")
        if isinstance(body.get("after"), dict) and "accountEnabled" in body["after"]:
            facts.append(f"after: accountEnabled={body['after'].get('accountEnabled')}")
        # The outcome with its request id and before/after, where the eye is (the result line), and in the log.
        self.outcome("\n".join([outcome.message, " · ".join(facts)] if facts else [outcome.message]),
                     error=outcome.result in ("failed", "refused"))
        details = [f"{plan.title} {upn}: {outcome.result}", *(f"  {fact}" for fact in facts),
                   f"  to reverse: {plan.reversal}"]
        self._log("\n".join(details))
        if outcome.result == "ok" and plan.reversal_action:
            self.last_reversal = (plan.reversal_action, upn)
            self.query_one("#contain-reverse", Button).disabled = False

    def action_offer_reversal(self) -> None:
        """Load the reversal into the form; it still needs the UPN typed and F2, like any action."""
        if self.last_reversal is None:
            self.outcome("Nothing to reverse yet: only a successful block can be undone from here.")
            return
        action, upn = self.last_reversal
        self.query_one("#contain-action", Select).value = action
        self.query_one("#contain-upn", Input).value = upn
        self.query_one("#contain-confirm", Input).focus()
        send = key_for(self.app, "contain.execute")
        self.outcome(f"Reversal ready: {ACTIONS[action]}. Type the UPN and press {send} to send it.")

    def action_mark_contained(self) -> None:
        """The responder's call, not the tool's: the threat is contained (time to contain stops here)."""
        incident = self.incident
        if incident is None:
            return
        if incident.status == "contained":
            self.outcome(f"{incident.id} is already marked contained.")
            return
        self.run_worker(self._mark_contained(incident.id), group="status", exit_on_error=False)

    async def _mark_contained(self, incident_id: str) -> None:
        status = {"status": "contained", "text": "Threat contained"}
        if await self.journaled(self.warroom.record(kinds.INCIDENT_STATUS, status, incident=incident_id),
                                "Not recorded") is None:
            return
        self.outcome(f"{incident_id} marked contained.")

    def _log(self, text: str) -> None:
        self.log_lines.insert(0, text)
        self.query_one("#contain-log", Static).update(plain("\n\n".join(self.log_lines)))

"""InvestigateScreen: what Graph knows about the selected account, and the removals that follow from it.

The read key reads everything (console/investigate.py), each section with its source state; what Graph cannot see
(mailbox forwarding, hidden rules) is said plainly. The list holds what can be removed: inbox rules, sign-in
methods and delegated consents, the attacker's flagged `!`, then a password reset. Choosing one previews the
exact request; typing the UPN and the run key send it once (console/eradication.py), like block sign-in on Contain.
A reset's temporary password is shown here once and is never journaled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..console import eradication as er
from ..console.containment import dry_run_active
from ..console.investigate import Investigation, first_suspicious, investigate
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.text import clean, literal
from ..widgets.actions import bindings, key_for
from .guided import GuidedScreen, heading, plain

if TYPE_CHECKING:
    from ..console.graph.gateway import GraphGateway


class Removal(NamedTuple):
    """One line of the list: what it is, why it is there, and the plan that removes it."""

    key: str
    line: str
    flagged: bool
    plan: Callable[[], er.EradicationPlan]     # built when chosen (a password is generated only then)


def removals(report: Investigation) -> list[Removal]:
    """Everything the account holds that eradication can remove, the flagged first."""
    upn = report.upn
    found: list[Removal] = []
    for rule in (report.sections.get("inbox_rules") or {}).get("rules", []):
        why = "; ".join(rule["reasons"]) or "no suspicious action"
        found.append(Removal(f"rule:{rule['id']}", f"inbox rule {clean(rule['name'], 40)!r}: {clean(why, 120)}",
                             rule["suspicious"], partial(er.plan_delete_rule, upn, rule["definition"])))
    for method in report.sections.get("auth_methods") or []:
        if not method["deletable"]:
            continue
        when = f"registered {method['created']}" if method.get("created") else "registration time unknown"
        mark = ", after the first suspicious sign-in" if method.get("after_suspicious_sign_in") else ""
        found.append(Removal(f"method:{method['id']}",
                             f"{method['type']} {clean(method.get('display_name') or '', 40)}: {when}{mark}",
                             bool(mark), partial(er.plan_delete_method, upn, method)))
    for grant in report.sections.get("oauth_grants") or []:
        risky = " ".join(grant["high_risk_scopes"])
        found.append(Removal(f"grant:{grant['id']}",
                             f"consent to {clean(grant['app'], 40)!r}: {clean(' '.join(grant['scopes']), 80)}",
                             bool(risky), partial(er.plan_revoke_consent, upn, grant)))
    found.sort(key=lambda r: not r.flagged)
    found.append(Removal("password", "reset the password (force a change at the next sign-in)", False,
                         lambda: er.plan_reset_password(upn)))
    return found


def summary(report: Investigation) -> str:
    """The sections in a few lines each: state, then what matters most."""
    lines = []
    for name, source in report.sources.items():
        if source.state != "fresh":
            lines.append(f"{name.replace('_', ' ')}: NOT READ: {source.describe()}")
    user = report.sections.get("user") or {}
    if user:
        lines.append(f"user: enabled={user.get('accountEnabled')}, password changed "
                     f"{user.get('lastPasswordChangeDateTime')}, on-premises sync={user.get('onPremisesSyncEnabled')}")
    risky = (report.sections.get("risky_user") or {}).get("state") or {}
    if risky:
        lines.append(f"risk: {risky.get('riskLevel')} / {risky.get('riskState')} "
                     f"({len(report.sections['risky_user'].get('history') or [])} history entries, "
                     f"{len(report.sections.get('risk_detections') or [])} detections)")
    sign_ins = report.sections.get("sign_ins") or []
    first = first_suspicious(sign_ins)
    lines.append(f"sign-ins: {len(sign_ins)}" + (f", first suspicious {first}" if first else ""))
    for item in list(reversed(sign_ins))[:8]:
        marks = " ".join(f"NEW-{w.upper()}" for w in item["new"])
        lines.append(f" {'!' if item['suspicious'] else ' '} {item['time']} {item['app']} {item['ip']} "
                     f"{item['location']} {item['status']} {marks}")
    audits = report.sections.get("directory_audits") or []
    lines.append(f"directory audits: {len(audits)}")
    for item in audits[:5]:
        lines.append(f"   {item['time']} {item['activity']} by {item['initiated_by']}")
    lines.append("mailbox forwarding and hidden inbox rules: not checked: needs Exchange Online PowerShell")
    return "\n".join(clean(line, 200) for line in lines)


class InvestigateScreen(GuidedScreen):
    CSS_PATH = "investigate.tcss"
    BINDINGS = bindings("investigate")
    ACTION_PLACES = ("investigate", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        self.clock = clock                  # fixes "now" for the sign-in window (tests, drills)
        self.report: Investigation | None = None
        self.items: list[Removal] = []
        self.plan: er.EradicationPlan | None = None
        self.previewed: dict[str, Any] | None = None
        self.running = False
        self.last_reversal: dict[str, Any] | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("execute", "back", "read") and self.running:
            return None
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if self.running:
            self.say("An action is running: wait for its result before leaving this screen.", error=True)
            return
        super().action_back()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="investigate-form"):
            yield Static(heading("Investigate", self.incident), classes="heading")
            yield Static(plain(self._mode_line()), id="investigate-mode")
            with Horizontal(classes="row"):
                yield Label("Account (UPN)", classes="field-label")
                # Only the account the subject itself names: never one guessed from another object.
                yield Input(value=self.subject.account, placeholder="name@contoso.com",
                            compact=True, id="investigate-upn")
            yield Static("", id="message")
            # What is chosen comes above the list, so the preview and the field to type in are on screen at 80x24.
            yield Static("", id="investigate-preview")
            with Horizontal(classes="row"):
                yield Label("Type to confirm", classes="field-label")
                yield Input(placeholder="the UPN (or the object's name) as shown", compact=True,
                            id="investigate-confirm")
                yield Checkbox("Dry run", value=not self.warroom.can_execute_actions or dry_run_active(self.warroom),
                               compact=True, id="investigate-dry-run")
            yield Static("", id="investigate-secret")
            yield OptionList(id="investigate-items")
            yield Static("", id="investigate-summary")
        yield Footer()

    def _mode_line(self) -> str:
        wr = self.warroom
        if not wr.can_execute_actions:
            why = ("read-only: read_only in the config or WARROOM_READ_ONLY" if wr.config.get("read_only")
                   else f"{wr.mode} mode" if wr.gateway else "no tenant")
            return f"Removals are disabled ({why}): previewed and journaled as dry runs."
        if dry_run_active(wr):
            return "Dry run is on (dry_run in the config or WARROOM_DRY_RUN): removals are previewed, never sent."
        return f"{wr.mode}: a removal is sent once, never retried."

    def on_mount(self) -> None:
        self.query_one("#investigate-preview", Static).display = False     # until something is chosen
        self.query_one("#investigate-upn", Input).focus()        # the list takes it once the account is read
        if self.upn:
            self.action_read()
        else:
            self.say(f"Give the account's UPN and press {key_for(self.app, 'investigate.read')} to read it.")

    @property
    def upn(self) -> str:
        return self.query_one("#investigate-upn", Input).value.strip()

    # -- reading --------------------------------------------------------------------------------------

    def action_read(self) -> None:
        upn = self.upn
        if "@" not in upn:
            self.say("Give the account's UPN (name@domain) first.", error=True)
            return
        gateway = self.warroom.gateway
        if gateway is None:
            self.say("Not connected to a tenant: nothing can be read.", error=True)
            return
        self.say(f"Reading {upn}: user, risk, sign-ins, audits, inbox rules, mailbox, methods, consents…")
        self.run_worker(self._read(gateway, upn), group="investigate-read", exclusive=True, exit_on_error=False)

    async def _read(self, gateway: GraphGateway, upn: str, done: str = "") -> None:
        try:
            report = await investigate(gateway, upn, now=self.clock() if self.clock else None)
        except Exception as error:
            self.say(f"Not read: {error}", error=True)
            return
        self.report = report
        self.items = removals(report)
        options = self.query_one("#investigate-items", OptionList)
        options.clear_options()
        options.add_options(Option(Text(("! " if item.flagged else "  ") + item.line), id=item.key)
                            for item in self.items)
        self.query_one("#investigate-summary", Static).update(plain(summary(report)))
        flagged = sum(item.flagged for item in self.items)
        unread = f"; NOT READ: {', '.join(report.unread)}" if report.unread else ""
        self.say(f"{done}{upn}: {flagged} flagged of {len(self.items) - 1} removable{unread}. Choose one (Enter), "
                 f"type the UPN, {key_for(self.app, 'investigate.execute')} removes it.", error=bool(report.unread))
        options.focus()

    # -- choosing and previewing ------------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        item = next((i for i in self.items if i.key == event.option.id), None)
        if item is None:
            return
        try:
            self._show_plan(item.plan(), item.line)
        except ValueError as error:
            self.say(str(error), error=True)
            return
        self.query_one("#investigate-confirm", Input).focus()

    def _show_plan(self, plan: er.EradicationPlan, what: str = "") -> None:
        self.plan = plan
        self.query_one("#investigate-preview", Static).display = True
        request = er.preview(plan, self.warroom.gateway)
        self.previewed = request
        body = request["body"] or "(no body)"
        key = key_for(self.app, "investigate.execute")
        self.query_one("#investigate-preview", Static).update(plain(
            f"{plan.title}: {clean(what, 150) or plan.target}\n"
            f"{literal(request['method'])} {literal(request['url'])}\nBody: {literal(body, 400)}"
            f"\nTo reverse: {plan.reversal}\nType {plan.confirm} and press {key}."))

    # -- running --------------------------------------------------------------------------------------

    def action_execute(self) -> None:
        if self.running:
            self.say("An action is already running: wait for its result. Nothing else was sent.", error=True)
            return
        plan = self.plan
        if plan is None:
            self.say("Choose what to remove first (the list, Enter).", error=True)
            return
        typed = self.query_one("#investigate-confirm", Input).value
        if typed.strip().casefold() != plan.confirm.casefold():
            self.say(f"Type {plan.confirm} exactly in the confirmation field. Nothing was sent.", error=True)
            return
        if er.preview(plan, self.warroom.gateway) != self.previewed:
            self._show_plan(plan)
            self.say(f"The preview changed: check it and press {key_for(self.app, 'investigate.execute')} again. "
                     "Nothing was sent.", error=True)
            return
        self._set_running(True)
        self.say(f"{plan.title} for {plan.target}…")
        self.run_worker(self._run(plan, typed), group="investigate-write", exit_on_error=False)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.refresh_bindings()

    async def _run(self, plan: er.EradicationPlan, typed: str) -> None:
        incident = self.incident.id if self.incident else None
        dry_run = self.query_one("#investigate-dry-run", Checkbox).value
        secret = self.query_one("#investigate-secret", Static)
        secret.update("")
        try:
            outcome = await er.execute(self.warroom, plan, typed=typed, incident=incident, dry_run=dry_run)
        except Exception as error:      # journal refused, no tenant: say it, keep the screen usable
            self.say(f"Failed: {error}", error=True)
            return
        finally:
            self._set_running(False)
            self.query_one("#investigate-confirm", Input).value = ""
        self.say(outcome.message, error=outcome.result in ("failed", "refused"))
        if outcome.result != "ok":
            return
        self.plan = None
        self.query_one("#investigate-preview", Static).display = False
        if outcome.secret:
            # Shown once, here only: never journaled, logged or copied anywhere by the console.
            secret.update(plain(f"Temporary password for {plan.target} (shown once, not recorded): "
                                f"{outcome.secret}\nGive it out of band; it must be changed at the next sign-in."))
        if plan.reversal_plan is not None:
            self.last_reversal = plan.reversal_plan
        gateway = self.warroom.gateway
        if gateway is not None and plan.method == "DELETE":
            self.run_worker(self._read(gateway, self.upn, f"{outcome.message} Read again: "), group="investigate-read",
                            exclusive=True, exit_on_error=False)

    def action_deleted(self) -> None:
        gateway = self.warroom.gateway
        if gateway is None:
            self.say("Not connected to a tenant: nothing can be read.", error=True)
            return
        self.say("Reading deleted users and groups…")
        self.run_worker(self._deleted(gateway), group="investigate-deleted", exclusive=True, exit_on_error=False)

    async def _deleted(self, gateway: GraphGateway) -> None:
        """Deleted users and groups join the list: choosing one previews its restore, confirmed by its name."""
        from ..console.containment import explain_graph
        from ..console.graph.errors import GraphError, SignInRequired

        found: list[Removal] = []
        for kind in ("user", "group"):
            try:
                items = await gateway.get_all(f"directory/deletedItems/microsoft.graph.{kind}", limit=200)
            except (GraphError, SignInRequired) as error:
                self.say(explain_graph(error, f"reading deleted {kind}s"), error=True)
                return
            for item in items:
                name = item.get("userPrincipalName") or item.get("displayName") or item.get("id")
                line = f"restore deleted {kind} {clean(name, 60)!r} (deleted {item.get('deletedDateTime')})"
                found.append(Removal(f"deleted:{item.get('id')}", line, False,
                                     partial(er.plan_restore, item)))
        self.items = [i for i in self.items if not i.key.startswith("deleted:")] + found
        options = self.query_one("#investigate-items", OptionList)
        options.add_options(Option(Text("  " + item.line), id=item.key) for item in found
                            if item.key not in {o.id for o in options.options})
        self.say(f"{len(found)} deleted user(s) and group(s) added to the list: choose one, type its name, "
                 f"{key_for(self.app, 'investigate.execute')} restores it." if found
                 else "No deleted users or groups (Entra keeps them 30 days).")

    def action_offer_reversal(self) -> None:
        if self.last_reversal is None:
            self.say("Nothing to reverse yet: a deleted inbox rule can be recreated from here.")
            return
        self._show_plan(er.plan_reversal(self.last_reversal))
        self.query_one("#investigate-confirm", Input).focus()
        self.say(f"Reversal ready: type the UPN and press {key_for(self.app, 'investigate.execute')} to send it.")

"""Every responder action, declared once: its id, default key, the words a responder searches for, when it applies.

Plain data, so the headless config can refuse a bad `[ui.keys]` remap at load; the UI layer
(`widgets/actions.py`) turns these into bindings, command-palette entries, the help screen, footers, button
labels and every "press X" hint, always with the key in force.

Adding an action: one `Action` here (its `place` says where the key works; `run` is the Textual action on that
place's node), then the handler `action_<run>` on that screen or widget. See docs/architecture.md.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple


class Action(NamedTuple):
    """One responder action. `id` is what `[ui.keys]` remaps; `key` is the default (Textual key names, commas
    between alternatives); `title` is what a responder types in the command palette; `label` is the short word
    on footers and buttons; `when` names conditions the place checks (all must hold for it to apply)."""

    id: str
    key: str
    title: str
    help: str
    place: str
    run: str
    label: str = ""
    footer: bool = False
    when: tuple[str, ...] = ()
    palette: bool = True
    priority: bool = False


# Where a key works, and which places are live at the same time (a remap must not collide with any of them).
PLACE_NAMES = {
    "app": "Everywhere",
    "dashboard": "Dashboard",
    "alerts": "Alerts pane",
    "health": "Service health pane",
    "tasks": "Tasks pane",
    "list": "Moving in a list",
    "guided": "Guided screens",
    "declare": "Declare",
    "assess": "Assess",
    "contain": "Contain",
    "communicate": "Communicate",
    "send_confirm": "Send question",
    "close": "Review and close",
    "investigate": "Investigate",
    "hunt": "Hunt",
    "defender": "Defender write-back",
    "recovery": "Recovery",
    "support_case": "Microsoft support case",
    "detail": "Alert and issue details",
    "alert_detail": "Alert details",
    "sign_in": "Sign-in dialog",
    "prompt": "Note, decision and task prompts",
    "handoff": "Hand-off page",
    "messages": "Message center",
    "help": "Keys (this screen)",
    "quit_dialog": "Quit question",
    "task_dialog": "Task done question",
    "status_dialog": "Proposed status question",
    "task_detail": "Task details",
    "review": "Journal browser",
    "review_entry": "An entry in full",
}
TOGETHER: dict[str, frozenset[str]] = {
    "dashboard": frozenset({"dashboard", "alerts", "health", "tasks", "list"}),
    "alerts": frozenset({"dashboard", "alerts", "list"}),
    "health": frozenset({"dashboard", "health", "list"}),
    "tasks": frozenset({"dashboard", "tasks", "list"}),
    "list": frozenset({"dashboard", "alerts", "health", "tasks", "list", "review"}),
    "guided": frozenset({"guided", "declare", "assess", "contain", "communicate", "close", "investigate", "hunt",
                        "defender", "recovery", "support_case"}),
    "declare": frozenset({"guided", "declare"}),
    "assess": frozenset({"guided", "assess"}),
    "contain": frozenset({"guided", "contain"}),
    "communicate": frozenset({"guided", "communicate"}),
    "send_confirm": frozenset({"send_confirm"}),
    "close": frozenset({"guided", "close"}),
    "investigate": frozenset({"guided", "investigate"}),
    "hunt": frozenset({"guided", "hunt"}),
    "defender": frozenset({"guided", "defender"}),
    "recovery": frozenset({"guided", "recovery"}),
    "support_case": frozenset({"guided", "support_case"}),
    "detail": frozenset({"detail", "alert_detail"}),
    "alert_detail": frozenset({"detail", "alert_detail"}),
    "quit_dialog": frozenset({"quit_dialog"}),
    "task_dialog": frozenset({"task_dialog"}),
    "status_dialog": frozenset({"status_dialog"}),
    "task_detail": frozenset({"task_detail"}),
    "review": frozenset({"review", "list"}),        # the browser's timeline moves with the list keys
    "review_entry": frozenset({"review_entry"}),
}
# Places where letters are text: their actions take F-keys (or Esc, or a Ctrl chord) only.
TYPING_PLACES = frozenset({"guided", "declare", "assess", "contain", "communicate", "close", "prompt",
                           "send_confirm", "investigate", "hunt", "defender", "recovery", "support_case"})
QUIT = "app.quit"
# Places whose own close key may be the quit key: a dialog or reading screen, or the journal browser (its own app,
# where nothing quits beyond it).
CLOSE_ON_QUIT_KEY = frozenset({"detail", "help", "quit_dialog", "task_dialog", "status_dialog", "task_detail",
                               "messages", "handoff", "review", "review_entry"})


# Places whose keys are Textual's priority bindings: they answer before the focused widget's own bindings (Enter and
# Esc in the dashboard's filter box leave or clear the filter rather than submit it; a letter the box takes as text
# is left to it). The order keys act in is not theirs to keep: the App hands keys over one at a time, each once the
# last has settled (widgets/typed.py). (Priority bindings are looked up from the screen down to the pane;
# `TOGETHER` refuses a key bound twice where both work, so that order never decides.) The journal browser's keys
# bubble (widgets/review_timeline.py).
PRIORITY_PLACES = frozenset({"dashboard", "alerts", "health", "tasks", "list"})


def _a(id: str, key: str, title: str, help: str, run: str, **kw: Any) -> Action:
    place = id.split(".", 1)[0]
    kw.setdefault("priority", place in PRIORITY_PLACES)
    return Action(id, key, title, help, place, run, **kw)


ACTIONS: tuple[Action, ...] = (
    # -- everywhere --------------------------------------------------------------------------------
    _a("app.quit", "q", "Quit", "Leave warroom (asks first while an incident is open; never on guided screens)",
       "quit", label="Quit",
       footer=True, palette=False),
    _a("app.command_palette", "ctrl+p", "Commands", "Find any action by name", "command_palette",
       label="Commands", palette=False),
    _a("app.focus_next", "tab", "Next pane", "Move to the next pane or field", "focus_next", palette=False),
    _a("app.focus_previous", "shift+tab", "Previous pane", "Move to the previous pane or field", "focus_previous",
       palette=False),
    # -- the dashboard --------------------------------------------------------------------------------
    _a("dashboard.declare", "d", "Declare incident",
       "Turn the selected alert, Defender incident, risky user or Microsoft issue into an incident", "declare",
       label="Declare", footer=True),
    _a("dashboard.assess", "a", "Assess severity", "Score impact and urgency for the open incident", "assess",
       label="Assess", when=("incident",)),
    _a("dashboard.contain", "c", "Contain", "Containment steps for the open incident", "contain",
       label="Contain", when=("incident",)),
    _a("dashboard.block_sign_in", "B", "Block sign-in", "Disable the account the selection names", "block_sign_in",
       label="Block sign-in", when=("incident",)),
    _a("dashboard.revoke_sessions", "R", "Revoke sessions", "Sign the account the selection names out everywhere",
       "revoke_sessions", label="Revoke sessions", when=("incident",)),
    _a("dashboard.preserve_evidence", "E", "Preserve evidence", "Hash and journal the account's evidence",
       "preserve_evidence", label="Preserve evidence", when=("incident",)),
    _a("dashboard.investigate", "I", "Investigate account",
       "Everything Graph knows about the account the selection names; remove what the attacker left",
       "investigate", label="Investigate"),
    _a("dashboard.hunt", "h", "Hunt", "Run a Defender advanced hunting query (KQL), saved or typed", "hunt",
       label="Hunt"),
    _a("dashboard.defender", "w", "Write back to Defender",
       "Set the selected Defender alert's or incident's status, classification, determination, assignee; comment",
       "defender", label="Defender", when=("defender_selection",)),
    _a("dashboard.communicate", "n", "Draft notification", "Write the next stakeholder update", "communicate",
       label="Notify", footer=True, when=("incident",)),
    _a("dashboard.recovery", "r", "Recovery",
       "The affected services' recovery options as a checklist: verify each, run its live check, the support case",
       "recovery", label="Recovery", when=("incident",)),
    _a("dashboard.support_case", "K", "Microsoft support case",
       "Record or update the incident's Microsoft support case: number, severity, opened, last contact",
       "support_case", label="Support case", when=("incident",)),
    _a("dashboard.review", "P", "Post-incident review", "Review the incident: metrics, checklist, lessons",
       "review", label="Review", when=("incident",)),
    _a("dashboard.close", "X", "Close incident", "Close the open incident with a summary", "close",
       label="Close", when=("incident",)),
    _a("dashboard.status", "u", "Set incident status", "Move the incident along its lifecycle, saying why",
       "set_status", label="Status", when=("incident",)),
    _a("dashboard.accept_proposal", "A", "Accept the proposed status",
       "The evidence proposes a status (Microsoft restored its issue, alerts resolved): asks, naming both statuses",
       "accept_proposal",
       label="Accept proposal", when=("proposal",)),
    _a("dashboard.microsoft_issue", "M", "Open the linked Microsoft issue",
       "Microsoft's posts on the incident's issue, newest first, restored or not", "open_linked_issue",
       label="Microsoft issue", when=("microsoft_issue",)),
    _a("dashboard.messages", "i", "Message center", "Microsoft's planned changes and notices; those touching the "
       "incident's services marked", "messages", label="Messages"),
    _a("dashboard.handoff", "H", "Hand-off page", "What a new incident commander needs, on one page", "handoff",
       label="Hand-off", when=("incident",)),
    _a("dashboard.hand_over", "O", "Hand a role over",
       "A role changes hands (incident commander, communications lead…): who takes it, journaled with the page",
       "hand_over", label="Hand over", when=("incident",)),
    _a("dashboard.link", "l", "Link to the open incident", "Attach the selected alert or Microsoft issue to it",
       "link", label="Link", when=("incident", "selection")),
    _a("dashboard.note", "colon", "Add note", "Write a note to the timeline", "note", label="Note", footer=True),
    _a("dashboard.decision", "exclamation_mark", "Record decision",
       "Write a decision and its reason (“… because …”) to the timeline", "decision", label="Decision"),
    _a("dashboard.filter", "slash", "Filter alerts", "Type to filter the alerts", "filter", label="Filter",
       footer=True),
    _a("dashboard.leave_filter", "enter", "Back to the alerts", "From the filter box, keeping the filter",
       "leave_filter", palette=False),
    _a("dashboard.clear_filter", "escape", "Clear the filter", "From the filter box, showing every alert again",
       "clear_filter", palette=False),
    _a("dashboard.toggle_zone", "t", "Toggle UTC / local time", "Show times in UTC or your local zone",
       "toggle_zone", label="UTC/local"),
    _a("dashboard.focus_health", "1", "Focus service health", "Move to the service health pane",
       "focus_pane('health')", label="Health"),
    _a("dashboard.focus_alerts", "2", "Focus alerts", "Move to the alerts pane", "focus_pane('alerts')",
       label="Alerts"),
    _a("dashboard.focus_tasks", "3", "Focus tasks", "Move to the tasks pane", "focus_pane('tasks')", label="Tasks"),
    _a("dashboard.focus_timeline", "4", "Focus timeline", "Move to the timeline", "focus_pane('timeline')",
       label="Timeline"),
    _a("dashboard.sign_in", "ctrl+g", "Sign in to Microsoft Graph", "Device-code sign-in: the code and URL shown here",
       "sign_in", label="Sign in"),
    _a("dashboard.help", "question_mark", "Show keys", "Every key, where it works", "help", label="Keys",
       footer=True),
    # -- the panes (their keys work while the pane has focus; the palette reaches them from anywhere) ---------
    _a("alerts.open", "enter", "Open alert details", "Evidence, MITRE techniques, the portal link", "open_selected",
       label="Details", footer=True, when=("selection",)),
    _a("alerts.sort", "s", "Sort alerts by next column", "Cycle the alerts' sort column", "sort_next",
       label="Sort", footer=True),
    _a("alerts.sort_reverse", "S", "Reverse the alert sort", "Flip the alerts' sort order", "sort_reverse",
       label="Reverse"),
    _a("alerts.mark_seen", "m", "Mark alerts seen", "Clear the new-alert markers", "mark_seen", label="Mark seen"),
    _a("health.open_issue", "enter", "Open the Microsoft issue", "Microsoft's posts on the selected workload's issue",
       "open_issue", label="Open issue", footer=True, palette=False),
    _a("tasks.open", "enter", "Read the task", "The selected task in full: what to do, how to verify it, owner, "
       "blockers, live check, times", "screen.open_task", label="Read", footer=True, palette=False),
    _a("tasks.toggle", "x", "Mark task done", "Mark the selected task done, or open again (asks, naming the task)",
       "screen.toggle_task", label="Done/undo", footer=True, when=("incident",)),
    _a("tasks.add", "plus", "Add task", "Add a task to the open incident", "screen.add_task", label="Add task",
       footer=True, when=("incident",)),
    _a("tasks.assign", "o", "Assign task", "Set the selected task's owner", "screen.assign_task", label="Assign",
       footer=True, when=("incident",)),
    _a("tasks.block", "b", "Mark task blocked", "Say what blocks the selected task", "screen.block_task",
       label="Blocked", footer=True, when=("incident",)),
    # -- moving in a list: the alerts, service health and tasks panes move a row cursor, the timeline scrolls ---
    _a("list.up", "up,k", "Up", "The row above (the timeline: a line up)", "cursor(-1)", palette=False),
    _a("list.down", "down,j", "Down", "The row below (the timeline: a line down)", "cursor(1)", palette=False),
    _a("list.page_up", "pageup", "Page up", "A screenful up", "page(-1)", palette=False),
    _a("list.page_down", "pagedown", "Page down", "A screenful down", "page(1)", palette=False),
    _a("list.first", "home", "First", "The first row (the timeline: the oldest entry)", "jump(0)", palette=False),
    _a("list.last", "end", "Last", "The last row (the timeline: the newest, followed again)", "jump(-1)",
       palette=False),
    # -- guided screens: F-keys only, so typing never acts -----------------------------------------------
    _a("guided.back", "escape", "Back", "Back to the dashboard", "back", label="Back", footer=True, palette=False),
    _a("declare.submit", "f2", "Declare the incident", "Journal the declaration, its roles and the playbook's tasks",
       "declare", label="Declare", footer=True),
    _a("assess.save", "f2", "Save the assessment", "Journal the severity, impact, resources and hand-offs", "save",
       label="Save", footer=True),
    _a("contain.execute", "f2", "Run the containment action", "Send the previewed request (or dry-run it)",
       "execute", label="Run action", footer=True),
    _a("contain.reverse", "f3", "Reverse the last action", "Load the reversal of the last success into the form",
       "offer_reversal", label="Reverse last", footer=True),
    _a("contain.mark_contained", "f4", "Mark contained", "The threat is contained: time to contain stops here",
       "mark_contained", label="Mark contained", footer=True),
    _a("investigate.read", "f5", "Read the account again", "Read every section again from Graph", "read",
       label="Read", footer=True),
    _a("investigate.execute", "f2", "Remove the chosen item", "Send the previewed request (or dry-run it)",
       "execute", label="Remove", footer=True),
    _a("investigate.reverse", "f3", "Reverse the last removal", "Load the reversal (recreate a deleted inbox rule)",
       "offer_reversal", label="Reverse", footer=True),
    _a("investigate.deleted", "f6", "List deleted users and groups",
       "Entra keeps them 30 days: add them to the list to restore one (also a data-loss recovery step)",
       "deleted", label="Deleted", footer=True),
    _a("defender.update", "f2", "Update in Defender", "PATCH the alert or incident with the chosen values",
       "update", label="Update", footer=True),
    _a("defender.comment", "f3", "Comment in Defender", "POST the comment to the Defender incident", "comment",
       label="Comment", footer=True, when=("defender_incident",)),
    _a("recovery.verify", "f2", "Mark the option verified",
       "Journal what you saw (typed below the list) as its verification; its task is done", "verify",
       label="Verified", footer=True),
    _a("recovery.check", "f3", "Run the live check", "Read the tenant now (service health, deleted objects, "
       "sign-ins); journaled, and a met check does the task", "check", label="Live check", footer=True),
    _a("recovery.case", "f4", "Microsoft support case", "Record or update the support case", "case", label="Case",
       footer=True),
    _a("recovery.next_service", "f5", "Next affected service", "Show the next service's recovery options",
       "next_service", label="Next service", footer=True),
    _a("support_case.save", "f2", "Save the support case", "Journal the case number, severity, opened, last contact",
       "save", label="Save", footer=True),
    _a("hunt.run", "f2", "Run the hunting query", "Send the query once; the run is journaled", "run", label="Run",
       footer=True),
    _a("hunt.attach", "f3", "Attach the result as evidence", "Journal the last result with its SHA-256",
       "attach", label="Attach", footer=True, when=("incident",)),
    _a("communicate.send", "f2", "Send the update", "Deliver it through the audience's channels (asks first)",
       "send", label="Send", footer=True),
    _a("communicate.sent", "f8", "Record the update as sent by hand",
       "You delivered it yourself (copied or saved): journal it as sent; the countdown restarts", "mark_sent",
       label="Sent by hand", footer=True),
    _a("communicate.copy", "f3", "Copy the update", "To your own clipboard over SSH (OSC 52)", "copy", label="Copy",
       footer=True),
    _a("communicate.save", "f4", "Save the update to a file", "Write it to the messages folder", "save",
       label="Save", footer=True),
    _a("communicate.refill", "f5", "Refill from the template", "Replace the text with the template's", "refill",
       label="Refill", footer=True),
    _a("send_confirm.send", "f2", "Send now", "Deliver the update to the audience, recipients and channels shown",
       "send", label="Send", footer=True, palette=False),
    _a("send_confirm.cancel", "escape", "Do not send", "Back to the draft; nothing is sent", "cancel",
       label="Cancel", footer=True, palette=False),
    _a("close.close", "f2", "Close the incident", "Journal the summary and close it", "close_incident",
       label="Close incident", footer=True, when=("closing",)),
    _a("close.save", "f3", "Save the review", "Journal the checklist answers", "save_review", label="Save review",
       footer=True),
    _a("close.resolve_alerts", "f6", "Resolve the linked Defender alerts",
       "Set the incident's open Defender alerts to resolved in Defender (type the incident id first)",
       "resolve_alerts", label="Resolve in Defender", footer=True, when=("closing", "linked_alerts")),
    _a("close.follow_up", "f4", "Add a follow-up", "Journal the follow-up action, owner and due date",
       "add_follow_up", label="Add follow-up", footer=True),
    # -- dialogs ----------------------------------------------------------------------------------------
    _a("detail.close", "escape,q", "Close", "Back to the dashboard", "close", label="Close", footer=True,
       palette=False),
    _a("detail.declare", "d", "Declare incident from this", "Declare with what you are reading as its source",
       "declare", label="Declare", footer=True),
    _a("detail.link", "l", "Link this to the open incident", "Attach what you are reading to the open incident",
       "link", label="Link", footer=True),
    _a("alert_detail.copy", "y", "Copy the portal link", "To your own clipboard over SSH (OSC 52)", "copy_link",
       label="Copy link", footer=True),
    _a("sign_in.copy_code", "y", "Copy the device code", "To your own clipboard over SSH (OSC 52)", "copy_code",
       label="Copy code", footer=True, palette=False),
    _a("sign_in.cancel", "escape", "Cancel sign-in", "Back without signing in", "cancel", label="Cancel",
       footer=True, palette=False),
    _a("prompt.cancel", "escape", "Cancel", "Close the prompt without saving", "cancel", label="Cancel",
       palette=False),
    _a("messages.close", "escape,q", "Close", "Back to the dashboard", "close", label="Close", footer=True,
       palette=False),
    _a("handoff.close", "escape,q", "Close", "Back to the dashboard", "close", label="Close", footer=True,
       palette=False),
    _a("handoff.hand_over", "O", "Hand a role over", "Name the role and who takes it; the page shows the hand-off",
       "hand_over", label="Hand over", footer=True),
    _a("quit_dialog.quit", "y,enter", "Quit", "Leave warroom with the incident open", "yes", label="Quit",
       palette=False),
    _a("quit_dialog.stay", "n,escape", "Stay", "Back to where you were (so does any other character)", "no",
       label="Stay", palette=False),
    _a("task_dialog.mark", "y,enter", "Mark it", "Journal the task as done (or open again)", "yes", label="Mark it",
       palette=False),
    _a("task_dialog.leave", "n,escape", "Leave it", "Back to the tasks; nothing is written (so does any other "
       "character)", "no", label="Leave it", palette=False),
    _a("status_dialog.accept", "y,enter", "Accept", "Journal the proposed status, with what it rests on", "yes",
       label="Accept", palette=False),
    _a("status_dialog.leave", "n,escape", "Leave it", "Back to the dashboard; the status stays (so does any other "
       "character)", "no", label="Leave it", palette=False),
    _a("task_detail.close", "escape,enter,q", "Close", "Back to the tasks", "close", label="Close", footer=True,
       palette=False),
    _a("help.close", "escape,q,question_mark", "Close", "Close this list", "dismiss", label="Close", palette=False),
    # -- the journal browser (`warroom browse`): its own app, read-only; the timeline moves with the list keys ----
    _a("review.read", "enter", "Read the entry", "The selected entry in full, scrollable", "read", label="Read",
       footer=True, palette=False),
    _a("review.filter", "slash", "Filter or search",
       "Words to search; kind:, actor:, incident:, since:, until: narrow it", "filter", label="Filter/search",
       footer=True, palette=False),
    _a("review.goto", "g", "Go to a time", "The first entry at or after a time (2026-11-24T14:02Z, -90m, now)",
       "goto", label="Go to time", footer=True, palette=False),
    _a("review.incidents", "i", "Pick an incident", "The incident list: Enter shows that incident's entries",
       "focus_incidents", label="Incidents", footer=True, palette=False),
    _a("review.timeline", "t", "Back to the timeline", "Move to the timeline", "focus_timeline", label="Timeline",
       footer=True, palette=False),
    _a("review.all", "a", "All entries", "Every incident's entries, unfiltered", "all_entries", label="All entries",
       footer=True, palette=False),
    _a("review.break", "b", "Go to the break", "The entry where the hash chain breaks (when it does)", "goto_break",
       label="Go to break", footer=True, palette=False),
    _a("review.verify", "v", "Verify again", "Check the whole hash chain again", "verify", label="Verify again",
       footer=True, palette=False),
    _a("review.clear", "escape", "Clear the filter", "Close the search box, or show all the incident's entries again",
       "clear", label="Clear filter", palette=False),
    _a("review.close", "q", "Close", "Leave the browser", "close", label="Close", footer=True, palette=False),
    _a("review.help", "question_mark", "Show keys", "Every key of the browser", "help", label="Keys",
       palette=False),
    _a("review_entry.close", "escape,enter,q", "Close", "Back to the timeline", "close", label="Close", footer=True,
       palette=False),
)
BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}
assert len(BY_ID) == len(ACTIONS), "two actions share an id"


def in_place(place: str) -> tuple[Action, ...]:
    return tuple(action for action in ACTIONS if action.place == place)


# -- key names: the same spelling Textual uses, without importing it --------------------------------------

_REPLACEMENTS = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at", "hyphen_minus": "minus",
                 "plus_sign": "plus", "low_line": "underscore"}
_NAMED = frozenset({"escape", "enter", "tab", "space", "backspace", "delete", "insert", "home", "end", "pageup",
                    "pagedown", "up", "down", "left", "right", *(f"f{n}" for n in range(1, 25))})
_MODIFIERS = ("ctrl+", "shift+", "alt+", "super+", "meta+")
_SHOWN = {"question_mark": "?", "colon": ":", "slash": "/", "plus": "+", "exclamation_mark": "!", "space": "Space",
          "enter": "Enter", "escape": "Esc", "tab": "Tab", "shift+tab": "Shift+Tab", "pageup": "PgUp",
          "pagedown": "PgDn", "home": "Home", "end": "End", "up": "↑", "down": "↓", "minus": "-", "at": "@",
          "backslash": "\\", "underscore": "_"}


def normalize(key: str) -> str:
    """One key as Textual names it: `?` is `question_mark`, `N` stays `N`, `F2` is `f2`."""
    key = key.strip()
    if len(key) == 1:
        if key.isalnum():
            return key
        try:
            name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
        except ValueError:
            return key
        return _REPLACEMENTS.get(name, name)
    return key.lower()


def keys_of(keys: str) -> tuple[str, ...]:
    return tuple(normalize(k) for k in keys.split(",") if k.strip())


def is_key(key: str) -> bool:
    """A key a terminal can deliver, spelt as Textual spells it (modifiers, F-keys, named keys, characters)."""
    base = key
    while base.startswith(_MODIFIERS):
        base = base.split("+", 1)[1]
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    if base in _NAMED:
        return True
    try:
        unicodedata.lookup({v: k for k, v in _REPLACEMENTS.items()}.get(base, base).replace("_", " "))
    except KeyError:
        return False
    return bool(re.fullmatch(r"[a-z_]+", base))


def is_fkey_or_chord(key: str) -> bool:
    """What a typing place may bind: F-keys, Esc, Enter or a Ctrl/Alt chord; never a bare character."""
    return bool(re.fullmatch(r"f\d{1,2}", key)) or key in ("escape", "enter") or key.startswith(("ctrl+", "alt+"))


def shown(keys: str) -> str:
    """How a key is written for a person: `?`, `:`, `F2`, `Esc`, `ctrl+g`; alternatives joined by ` / `."""
    out = []
    for key in keys_of(keys):
        if key in _SHOWN:
            out.append(_SHOWN[key])
        elif re.fullmatch(r"f\d{1,2}", key):
            out.append(key.upper())
        else:
            out.append(key)
    return " / ".join(out)


def effective(keymap: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Every action's keys with a remap applied."""
    return {action.id: keys_of(keymap.get(action.id) or action.key) for action in ACTIONS}


class KeymapError(ValueError):
    """A `[ui.keys]` entry that cannot be used; the message names the id (the caller adds file and line)."""

    def __init__(self, action_id: str, reason: str) -> None:
        super().__init__(reason)
        self.action_id = action_id


def check_keymap(keymap: Mapping[str, object], where: Callable[[str], str] = lambda _id: "") -> dict[str, str]:
    """The remaps, or a KeymapError whose message starts with `where(id)`: an unknown id, a name that is no key,
    a bare character on a screen where letters are text, the quit key, or a key another action already answers
    to where it works (an `app.*` key works on every screen, so it meets every action)."""

    def refuse(action_id: str, reason: str) -> KeymapError:
        prefix = where(action_id)
        return KeymapError(action_id, f"{prefix}: {reason}" if prefix else reason)

    remaps: dict[str, str] = {}
    for action_id, value in keymap.items():
        action_id = str(action_id)
        if action_id not in BY_ID:
            close = difflib.get_close_matches(action_id, BY_ID, n=1)
            also = f" (did you mean {close[0]}?)" if close else " (the ids are listed in docs/keys.md)"
            raise refuse(action_id, f"[ui.keys] {action_id!r} is not an action{also}")
        if not isinstance(value, str) or not keys_of(value):
            raise refuse(action_id, f"[ui.keys] {action_id} must be a key, like \"N\" or \"f9\", not {value!r}")
        for key in keys_of(value):
            if not is_key(key):
                raise refuse(action_id, f"[ui.keys] {action_id} = {value!r}: {key!r} is not a key name")
            if BY_ID[action_id].place in TYPING_PLACES and not is_fkey_or_chord(key):
                raise refuse(action_id, f"[ui.keys] {action_id} = {value!r}: on guided screens letters are text; "
                                        "use an F-key or a ctrl+ chord")
        remaps[action_id] = ",".join(keys_of(value))
    keys = effective(remaps)
    quit_keys = set(keys[QUIT])
    # The app's own keys last: a screen's key that takes the quit key is refused as that, not as a collision.
    for action_id, value in sorted(remaps.items(), key=lambda item: BY_ID[item[0]].place == "app"):
        action = BY_ID[action_id]
        if keys[action_id] == keys_of(action.key):
            continue            # its own default: nothing changes
        taken = quit_keys & set(keys[action_id])
        if taken and action_id != QUIT and action.place not in CLOSE_ON_QUIT_KEY:
            raise refuse(action_id, f"[ui.keys] {action_id} = {value!r} takes the quit key "
                                    f"({shown(','.join(taken))}); choose another")
        for other in _together(action.place):
            if other.id == action_id or (QUIT in (other.id, action_id) and
                                         CLOSE_ON_QUIT_KEY & {action.place, other.place}):
                continue        # where its own close key may be the quit key, the quit key is not in play
            clash = set(keys[other.id]) & set(keys[action_id])
            if clash:
                raise refuse(action_id, f"[ui.keys] {action_id} = {value!r} collides with {other.id} "
                                        f"({other.title}, {shown(','.join(sorted(clash)))})")
    return remaps


def _together(place: str) -> Iterable[Action]:
    """The actions live wherever `place`'s are: the app's keys work on every screen, so they meet every action
    (a screen's own key would shadow the app's there)."""
    if place == "app":
        return ACTIONS
    places = TOGETHER.get(place, frozenset({place})) | {"app"}
    return (action for action in ACTIONS if action.place in places)

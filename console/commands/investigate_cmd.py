"""`warroom investigate UPN`: everything Graph knows about one account, from a plain shell.

Text from Graph goes through `literal()`; `--json` is ASCII-only, so escapes stay escapes. Exit 3 when any
section could not be read: what is missing is named, never shown as empty.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..cli import CliError, Context, run_async
from ..text import literal

EXIT_OK, EXIT_UNREAD = 0, 3


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "investigate", parents=[common], help="one read of everything Graph knows about an account",
        description="The user, risk state and detections, sign-ins (new countries, IPs and apps marked), "
                    "directory audits, inbox rules (suspicious ones flagged with the reason), mailbox settings, "
                    "authentication methods and delegated consents, each with its source state. "
                    "Exit 0 when every section was read, 3 when any was not.")
    parser.add_argument("upn", metavar="UPN", help="the account, name@domain")
    parser.add_argument("--days", type=int, default=7, help="sign-ins and audits over this many days (1-30)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run_investigate)


def run_investigate(ctx: Context) -> int:
    from ..graph.auth import SignInRequired
    from ..graph.connect import connect
    from ..investigate import investigate

    async def read() -> Any:
        gateway = await connect(ctx.config)
        async with gateway:
            return await investigate(gateway, ctx.args.upn, days=ctx.args.days)

    try:
        report = run_async(read())
    except SignInRequired as error:
        raise CliError(f"not signed in: {error}") from None
    if ctx.args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=True))
    else:
        print_report(report)
    return EXIT_OK if report.complete else EXIT_UNREAD


def _line(*parts: Any, width: int = 200) -> str:
    return "  " + "  ".join(literal(p, width) for p in parts if p not in (None, ""))


def _head(report: Any, name: str, title: str, summary: str = "") -> bool:
    """The section's heading with its source state; False when it was not read (nothing to list)."""
    source = report.sources[name]
    if source.state != "fresh":
        print(f"{title}: NOT READ: {literal(source.describe(), 300)}")
        return False
    print(f"{title}: {summary}" if summary else f"{title}:")
    return True


def print_report(report: Any) -> None:
    from ..investigate import first_suspicious

    print(f"Investigation of {literal(report.upn)} over {report.days} day(s), read "
          f"{report.at.strftime('%Y-%m-%d %H:%M:%S')}Z")
    if report.unread:
        print(f"warning: not read: {', '.join(report.unread)}; what follows for them is unknown, not empty")
    findings = report.findings()
    print(f"Persistence found: {len(findings)}")
    for line in findings:
        print(_line(line))
    print()
    user = report.sections.get("user")
    if _head(report, "user", "User"):
        print(_line(user.get("displayName"), f"enabled={user.get('accountEnabled')}",
                    f"created {user.get('createdDateTime')}",
                    f"password changed {user.get('lastPasswordChangeDateTime')}",
                    f"on-premises sync={user.get('onPremisesSyncEnabled')}"))
    risky = report.sections.get("risky_user")
    if _head(report, "risky_user", "Risk"):
        state = risky.get("state")
        if state:
            print(_line(f"level {state.get('riskLevel')}", f"state {state.get('riskState')}",
                        f"detail {state.get('riskDetail')}", f"updated {state.get('riskLastUpdatedDateTime')}"))
        else:
            print(_line(risky.get("note")))
        for item in risky.get("history", [])[:10]:
            print(_line("history", item.get("riskLastUpdatedDateTime"), item.get("riskLevel"), item.get("riskState"),
                        item.get("riskDetail")))
    detections = report.sections.get("risk_detections")
    if _head(report, "risk_detections", "Risk detections", str(len(detections or []))):
        for item in detections or []:
            loc = item.get("location") or {}
            print(_line(item.get("activityDateTime"), item.get("riskEventType"), item.get("riskLevel"),
                        item.get("ipAddress"), loc.get("countryOrRegion")))
    sign_ins = report.sections.get("sign_ins")
    first = first_suspicious(sign_ins)
    if _head(report, "sign_ins", "Sign-ins", f"{len(sign_ins or [])}"
             + (f", first suspicious {first}" if first else "")):
        for item in reversed(sign_ins or []):
            marks = " ".join(f"NEW-{what.upper()}" for what in item["new"])
            print(_line("!" if item["suspicious"] else " ", item["time"], item["app"], item["ip"], item["location"],
                        item["client"], item["status"], f"CA {item['conditional_access']}", f"risk {item['risk']}",
                        marks, width=80))
    audits = report.sections.get("directory_audits")
    if _head(report, "directory_audits", "Directory audits", str(len(audits or []))):
        for item in audits or []:
            print(_line(item["time"], item["activity"], item["result"], f"by {item['initiated_by']}",
                        ", ".join(str(t) for t in item["targets"]), width=80))
    rules = report.sections.get("inbox_rules")
    if _head(report, "inbox_rules", "Inbox rules", str(len((rules or {}).get("rules", [])))):
        for rule in rules["rules"]:
            flag = "SUSPICIOUS: " + "; ".join(rule["reasons"]) if rule["suspicious"] else "ok"
            print(_line(repr(rule["name"]), f"enabled={rule['enabled']}", flag, width=300))
    from ..investigate import EXO_ONLY

    for what, verdict in EXO_ONLY.items():      # never implied clean: Graph cannot see these
        print(f"  {what}: {verdict}")
    settings = report.sections.get("mailbox_settings")
    if _head(report, "mailbox_settings", "Mailbox settings"):
        values = settings["settings"]
        replies = (values.get("automaticRepliesSetting") or {}).get("status")
        print(_line(f"automatic replies {replies}", f"time zone {values.get('timeZone')}",
                    f"purpose {values.get('userPurpose')}"))
        for note in settings["notes"]:
            print(_line(note))
    methods = report.sections.get("auth_methods")
    if _head(report, "auth_methods", "Authentication methods", str(len(methods or []))):
        for item in methods or []:
            mark = "REGISTERED AFTER FIRST SUSPICIOUS SIGN-IN" if item["after_suspicious_sign_in"] else ""
            print(_line(item["type"], item["display_name"], f"created {item['created'] or 'unknown'}", mark))
    grants = report.sections.get("oauth_grants")
    if _head(report, "oauth_grants", "Delegated consents", str(len(grants or []))):
        for item in grants or []:
            risky_scopes = f"HIGH RISK: {' '.join(item['high_risk_scopes'])}" if item["high_risk_scopes"] else ""
            print(_line(repr(item["app"]), item["publisher"], f"to {item['resource']}", " ".join(item["scopes"]),
                        risky_scopes, width=200))

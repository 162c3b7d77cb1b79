"""`warroom drill`: the scenario plays on the simulated tenant in DRILL mode; the report scores the response."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console.cli import main
from warroom.console.commands.drill_cmd import run_drill
from warroom.console.config import load_config
from warroom.console.graph.live import TenantWatcher
from warroom.console.journal import kinds, open_journal

from .harness import GuidedTestApp
from .pilot_steps import fill_placeholders, opened, settle, type_into, writes

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


async def _respond(warroom) -> None:
    """The team's response, driven through the guided screens as in a real drill."""
    assert warroom.mode == "DRILL" and warroom.can_execute_actions
    watcher = TenantWatcher(warroom.gateway, None, warroom.live)
    for source in watcher.sources:
        await watcher.poll_once(source)
    alert = next(a for a in warroom.live.alerts.values() if MEGAN in a.users)
    for step, context in (("declare", {"alert_id": alert.id}), ("assess", {}), ("block_sign_in", {"upn": MEGAN}),
                          ("communicate", {})):
        app = GuidedTestApp(warroom, step, **context)
        async with opened(app, (120, 60)) as pilot:
            if step == "block_sign_in":
                await type_into(pilot, "#contain-confirm", MEGAN)
            if step == "communicate":
                await fill_placeholders(pilot)
            await pilot.press("f8" if step == "communicate" else "f2")
            await settle(pilot)
    # Eradication: the inbox rule that forwards mail out is removed; the rest is found but left.
    from warroom.console import eradication as er
    from warroom.console.containment import preserve_evidence
    from warroom.console.investigate import investigate

    await preserve_evidence(warroom, MEGAN, incident=warroom.incident.id)
    report = await investigate(warroom.gateway, MEGAN)
    payroll = next(r for r in report.sections["inbox_rules"]["rules"] if r["name"] == "Payroll")
    outcome = await er.execute(warroom, er.plan_delete_rule(MEGAN, payroll["definition"]), typed=MEGAN,
                               incident=warroom.incident.id)
    assert outcome.result == "ok", outcome.message


@pytest.mark.slow
async def test_a_drill_is_journaled_and_scored(make_tenant, tmp_path: Path):
    tenant = make_tenant("compromised-account")
    config = load_config(overrides={"journal": str(tmp_path / "drill.db")})
    report = await run_drill(config, "compromised-account", play=_respond, tenant=tenant)

    assert report.incident is not None
    assert [r.key for r in report.results] == ["declare", "assess", "contain", "notify"]
    assert all(r.minutes is not None for r in report.results), report.text()
    assert "Time to first notification" in report.text() and "4/4 targets met" in report.score
    # What was done counts too: the right account, blocked; no resolution notice, no eradication step yet.
    checks = {c.key: c.done for c in report.checks}
    assert checks == {"right_account": True, "resolution_notice": False, "eradication": False}, report.text()
    assert next((r.method, r.body) for r in writes(tenant)) == ("PATCH", {"accountEnabled": False})
    assert "Eradication: 4 left by the attacker, 4 found, 1 removed" in report.text()
    assert "'Payroll'" in report.text() and "found, NOT removed" in report.text()
    async with await open_journal(config.journal_path, actor="t", readonly=True) as journal:
        entries = await journal.entries()
    assert entries[0].kind == kinds.DRILL_STARTED and entries[0].body["scenario"] == "compromised-account"
    assert entries[-1].kind == kinds.DRILL_FINISHED and entries[-1].incident == report.incident
    assert set(entries[-1].body["metrics"]) == {"declare", "assess", "contain", "notify", "eradication"}
    assert entries[-1].body["done"]["right_account"]["done"] is True
    assert entries[-1].body["metrics"]["eradication"]["removed"] == 1


def test_an_unknown_scenario_is_refused(capsys):
    assert main(["drill", "no-such-scenario"]) == 1
    assert "unknown scenario 'no-such-scenario'" in capsys.readouterr().err

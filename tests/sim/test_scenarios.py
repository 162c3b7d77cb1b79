"""Scenario files: every one loads, a broken one says where and why, the timeline plays out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warroom.console.sim import ScenarioError, SimulatedTenant, list_scenarios, load_scenario
from warroom.console.sim.scenario import CATEGORIES

REQUIRED = {"exchange-outage", "compromised-account", "sharepoint-mass-deletion", "entra-signin-outage",
            "hostile", "bulk-alerts"}

GOOD = """\
[scenario]
name = "tiny"
title = "Tiny"
category = "service-outage"
description = "A test scenario."
tenant = "contoso.onmicrosoft.com"

[[issues]]
id = "EX1"
service = "Exchange Online"

[[events]]
at = "T+10s"
collection = "issues"
id = "EX1"
set = { status = "serviceRestored" }
"""


def test_the_required_scenarios_exist_and_cover_every_category():
    names = set(list_scenarios())
    assert names >= REQUIRED
    assert {load_scenario(n).category for n in names} == set(CATEGORIES)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_scenario_loads_and_names_itself(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.title and scenario.description.strip() and "." in scenario.tenant


def test_a_scenario_loads_from_a_path(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(GOOD)
    assert load_scenario(str(path)).name == "tiny"
    path.write_text(GOOD.replace('tenant = "contoso.onmicrosoft.com"', 'tenant = "contoso.onmicrosoft.com"\n'
                                 'permissions_missing = ["AuditLog.Read.All"]\n'
                                 'rate_limits = { "/identityProtection/riskyUsers" = 1 }'))
    scenario = load_scenario(path)
    assert scenario.permissions_missing == ["AuditLog.Read.All"]
    assert scenario.rate_limits == {"identityProtection/riskyUsers": 1.0}


@pytest.mark.parametrize(("change", "line", "reason"), [
    (("category = \"service-outage\"", "category = \"meltdown\""), 4, "category 'meltdown'"),
    (("id = \"EX1\"\nset", "id = \"EX2\"\nset"), 12, "no issues object with id 'EX2'"),
    (("at = \"T+10s\"", "at = \"soon\""), 12, "not a time offset"),
    (("[[issues]]\nid = \"EX1\"", "[[issues]]\nname = \"EX1\""), 8, "missing required field 'id'"),
    (("collection = \"issues\"", "collection = \"tickets\""), 12, "collection 'tickets'"),
    (("tenant = ", "tennant = "), 6, "unknown key 'tennant'"),
])
def test_a_broken_scenario_names_file_line_and_reason(tmp_path, change, line, reason):
    path = tmp_path / "broken.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: ")
    assert reason in message


def test_invalid_toml_names_the_line(tmp_path):
    path = tmp_path / "syntax.toml"
    path.write_text(GOOD.replace('title = "Tiny"', 'title = "Tiny'))
    with pytest.raises(ScenarioError, match=r"syntax\.toml: not valid TOML: .*line 3"):
        load_scenario(str(path))


def test_unknown_scenario_name_lists_the_known_ones():
    with pytest.raises(ScenarioError, match="exchange-outage"):
        load_scenario("no-such-scenario")


def test_timeline_adds_an_alert_at_t_plus_30s(make_tenant, graph_for):
    tenant = make_tenant("compromised-account")
    g = graph_for(tenant)
    titles = [a["title"] for a in g.get("security/alerts_v2").json()["value"]]
    assert "Suspicious inbox manipulation rule" not in titles
    tenant.advance(31)
    titles = [a["title"] for a in g.get("security/alerts_v2").json()["value"]]
    assert "Suspicious inbox manipulation rule" in titles


def test_a_generator_spreads_its_objects_over_time(make_tenant):
    tenant = make_tenant("compromised-account", start_at=360)
    # 300 ZAP alerts from T+60 over 600 s: item i appears at 60 + 2*i, so items 0..150 exist at T+360;
    # plus 3 initial alerts, the inbox-rule alert (T+30) and atypical travel (T+240).
    assert len(tenant.state.items("alerts")) == 151 + 3 + 2
    tenant.advance(400)
    assert len(tenant.state.items("alerts")) == 300 + 3 + 2


def test_same_origin_same_tenant(tmp_path):
    """Generated ids and times are deterministic, so drills and snapshots repeat exactly."""
    origin = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    dumps = []
    for _ in range(2):
        with SimulatedTenant(load_scenario("compromised-account"), start_at=700, origin=origin) as tenant:
            dumps.append(json.dumps(tenant.state.data, sort_keys=True))
    assert dumps[0] == dumps[1]


def test_start_at_skips_into_the_timeline(make_tenant, graph_for):
    tenant = make_tenant("exchange-outage", start_at=61)
    assert graph_for(tenant).get("admin/serviceAnnouncement/issues/EX1195342").json()["status"] == "restoringService"
    with pytest.raises(ValueError):
        tenant.advance(-1)


def test_the_scenario_files_are_packaged():
    folder = Path(__file__).resolve().parents[2] / "data" / "scenarios"
    assert {p.stem for p in folder.glob("*.toml")} == set(list_scenarios())


def test_a_fast_drill_keeps_timestamps_on_the_wall_clock(make_tenant, graph_for):
    """At speed 10, T+60s is stamped 6 real seconds after the start; the past before it stays 1:1."""
    origin = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    tenant = make_tenant("exchange-outage", speed=10, origin=origin)
    g = graph_for(tenant)
    issue = g.get("admin/serviceAnnouncement/issues/EX1195342").json()
    assert issue["startDateTime"] == "2026-11-24T08:20:00.000Z"          # T-40m
    tenant.advance(61)
    issue = g.get("admin/serviceAnnouncement/issues/EX1195342").json()
    assert issue["status"] == "restoringService"
    assert issue["lastModifiedDateTime"] == "2026-11-24T09:00:06.000Z"   # T+60s at speed 10


def test_a_facilitator_can_inject_an_event_mid_drill(make_tenant, graph_for):
    tenant = make_tenant("exchange-outage")
    g = graph_for(tenant)
    tenant.inject({"action": "add", "collection": "alerts",
                   "object": {"title": "Injected: mail forwarding to an external domain", "severity": "high"}})
    assert [a["title"] for a in g.get("security/alerts_v2").json()["value"]] == [
        "Injected: mail forwarding to an external domain"]
    tenant.inject({"collection": "services", "id": "Exchange", "set": {"status": "serviceInterruption"}})
    overview = g.get("admin/serviceAnnouncement/healthOverviews/Exchange").json()
    assert overview["status"] == "serviceInterruption"
    assert tenant.happened()[-1][1] == "update services Exchange"
    with pytest.raises(ScenarioError):
        tenant.inject({"collection": "tickets", "object": {}})
    with pytest.raises(LookupError):
        tenant.inject({"collection": "issues", "id": "EX0", "set": {"status": "resolved"}})

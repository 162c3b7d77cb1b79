"""Threat hunting: saved queries as data, parameters quoted safely into KQL, every run journaled."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from warroom.console.cli import main
from warroom.console.hunting import HuntingError, QueryLibrary, SavedQuery, fill, parse_queries, quote_kql
from warroom.console.journal import canonical_json, kinds, open_journal
from warroom.console.sim import Fault
from warroom.console.sim.kql import parse_string, run_query, tokens

from ..graph.helpers import add_objects

HOSTILE = "Row\x1b[2J\x1b]0;owned\x07 [bold red]x[/] \u202eevil\r\nfake line"


def _entries(journal_path, kind):
    async def read():
        async with await open_journal(journal_path, readonly=True, create=False) as journal:
            return [e for e in await journal.entries() if e.kind == kind]
    return asyncio.run(read())


def _hunt(tenant, journal_path, *args):
    return main(["hunt", *args, "--graph-url", tenant.base_url, "--journal", str(journal_path)])


# -- saved queries and quoting ---------------------------------------------------------------------------------

def test_the_built_in_queries_load_and_name_the_playbook_steps_they_serve():
    library = QueryLibrary.load()
    assert {"sign-ins-from-ip", "phish-recipients", "url-clicks", "mailbox-rule-changes"} <= set(library.queries)
    assert "sign-ins-from-ip" in {q.name for q in library.queries.values() if "threat-hunting" in q.serves}
    for query in library.queries.values():
        kql = fill(query, {name: "x" for name in query.params})
        run_query(kql, [])          # every built-in query is KQL the simulated tenant can run


@pytest.mark.parametrize("text, reason", [
    ('[[queries]]\nname = "Bad Name"\nkql = "T"\n', "name"),
    ('[[queries]]\nname = "a"\nkql = "T | where A == {upn}"\n', "must match"),
    ('[[queries]]\nname = "a"\nkql = "T"\nwho = 1\n', "unknown key 'who'"),
    ('[[queries]]\nname = "ok"\nkql = "T"\n\n[[queries]]\nname = "b"\nkql = 3\n', "kql"),
])
def test_a_malformed_file_is_refused_with_its_file_and_line(text, reason):
    with pytest.raises(HuntingError) as raised:
        parse_queries(text, "mine.toml")
    assert str(raised.value).startswith("mine.toml") and reason in str(raised.value)
    if "ok" in text:
        assert raised.value.line == 5


_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60).filter(
    lambda s: not any(c in s for c in "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
                      "\u2068\u2069\ufeff\x85"))


@given(_TEXT)
def test_a_parameter_is_one_kql_string_holding_exactly_the_value(value):
    query = SavedQuery("q", "", "EmailEvents | where Subject == {subject} | take 5", ("subject",), (), "t")
    kql = fill(query, {"subject": value})
    assert tokens(kql) == [("word", "EmailEvents"), ("op", "|"), ("word", "where"), ("word", "Subject"),
                           ("op", "=="), ("str", value), ("op", "|"), ("word", "take"), ("num", 5.0)]
    assert parse_string(quote_kql(value)) == value


@pytest.mark.parametrize("value", ["a\nb", "a\x1b[2J", "\u202eevil", "x\x00"])
def test_control_characters_in_a_parameter_are_refused(value):
    with pytest.raises(ValueError, match="control or invisible"):
        quote_kql(value)


def test_missing_and_unknown_parameters_are_named():
    query = QueryLibrary.load().get("sign-ins-from-ip")
    with pytest.raises(ValueError, match="needs --param ip="):
        fill(query, {})
    with pytest.raises(ValueError, match="no parameter 'upn'"):
        fill(query, {"ip": "1.2.3.4", "upn": "x"})


# -- running through the simulated tenant ------------------------------------------------------------------------

def test_a_saved_hunt_posts_the_filled_query_and_journals_the_run(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    code = _hunt(tenant, journal_path, "--saved", "sign-ins-from-ip", "--param", "ip=185.220.101.47", "--json")
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["schema", "results"]
    assert {r["AccountUpn"] for r in out["results"]} == {"megan.bowen@contoso.onmicrosoft.com",
                                                         "adele.vance@contoso.onmicrosoft.com"}
    assert out["schema"][0] == {"name": "Timestamp", "type": "DateTime"}
    [post] = [r for r in tenant.requests if r.method == "POST"]
    assert post.path == "/v1.0/security/runHuntingQuery"
    assert 'where IPAddress == "185.220.101.47"' in post.body["Query"]
    [entry] = _entries(journal_path, kinds.HUNT)
    assert entry.body["saved"] == "sign-ins-from-ip" and entry.body["params"] == {"ip": "185.220.101.47"}
    assert entry.body["rows"] == 2 and entry.body["query"] == post.body["Query"]
    assert entry.body["sha256"] == hashlib.sha256(canonical_json(out).encode()).hexdigest()
    assert entry.actor and entry.occurred_at


def test_an_attached_hunt_is_evidence_with_its_hash(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    assert _hunt(tenant, journal_path, "EmailEvents | where RecipientEmailAddress has 'contoso'",
                 "--incident", "INC-1", "--attach") == 0
    out = capsys.readouterr().out
    assert "3 row(s)" in out and "attached as evidence" in out
    [evidence] = _entries(journal_path, kinds.EVIDENCE)
    assert evidence.incident == "INC-1" and evidence.body["what"] == "hunting: ad hoc query"
    assert evidence.body["sha256"] == hashlib.sha256(evidence.body["content"].encode()).hexdigest()
    assert len(json.loads(evidence.body["content"])["results"]) == 3


def test_a_lone_surrogate_in_a_result_is_attached_as_its_escape(make_tenant, journal_path, capsys):
    """.NET's JSON can carry a lone surrogate in a row: the run and its evidence are journaled, the content holding its
    escape, both hashes of that content."""
    tenant = make_tenant("compromised-account")
    add_objects(tenant, "hunting", [{"table": "EmailEvents", "Subject": "Invoice \udc00 due",
                                     "RecipientEmailAddress": "adele.vance@contoso.onmicrosoft.com"}])
    assert _hunt(tenant, journal_path, "EmailEvents | where Subject has 'Invoice'",
                 "--incident", "INC-1", "--attach") == 0
    assert "Invoice \\udc00 due" in capsys.readouterr().out
    [run] = _entries(journal_path, kinds.HUNT)
    [evidence] = _entries(journal_path, kinds.EVIDENCE)
    assert [r["Subject"] for r in json.loads(evidence.body["content"])["results"]] == ["Invoice \\udc00 due"]
    assert run.body["sha256"] == evidence.body["sha256"] == hashlib.sha256(
        evidence.body["content"].encode("utf-8")).hexdigest()


def test_hostile_results_print_literally(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    add_objects(tenant, "hunting", [{"table": "EmailEvents", "Subject": HOSTILE, "RecipientEmailAddress": HOSTILE}])
    assert _hunt(tenant, journal_path, "EmailEvents | where Subject has 'Row'") == 0
    out = capsys.readouterr().out
    for character in ("\x1b", "\x07", "\u202e", "\r"):
        assert character not in out
    assert "\\x1b[2J" in out and "[bold red]x[/]" in out and "\nfake line" not in out


def test_a_403_names_threat_hunting_and_the_failed_run_is_journaled(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    tenant.scenario.permissions_missing.append("ThreatHunting.Read.All")
    try:
        assert _hunt(tenant, journal_path, "EmailEvents | take 1") == 1
    finally:
        tenant.scenario.permissions_missing.remove("ThreatHunting.Read.All")
    assert "lacks ThreatHunting.Read.All" in capsys.readouterr().err
    [entry] = _entries(journal_path, kinds.HUNT)
    assert entry.body["status"] == 403 and "rows" not in entry.body


def test_a_429_is_reported_and_not_retried(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account", faults=[Fault("throttle", "security/runHuntingQuery", retry_after=30)])
    assert _hunt(tenant, journal_path, "EmailEvents | take 1") == 1
    err = capsys.readouterr().err
    assert "Throttled (429)" in err and "wait 30 s" in err
    assert len([r for r in tenant.requests if r.method == "POST"]) == 1
    assert _entries(journal_path, kinds.HUNT)[0].body["status"] == 429


def test_a_query_the_tenant_cannot_parse_is_a_400_said_plainly(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    assert _hunt(tenant, journal_path, "NoSuchTable | take 1") == 1
    assert "Failed to resolve table expression named 'NoSuchTable'" in capsys.readouterr().err

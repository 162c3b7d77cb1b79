"""`warroom hunt`: Defender advanced hunting through Graph from a plain shell, journaled every time.

`warroom hunt 'EmailEvents | take 10'`, `warroom hunt --saved sign-ins-from-ip --param ip=…`, `--list`.
Rows come from the tenant: text output prints them through `literal()`, `--json` is ASCII-only.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..cli import CliError, Context, run_async
from ..text import literal

MAX_PRINTED_ROWS = 200
CELL = 60


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "hunt", parents=[common], help="run a Defender advanced hunting query (KQL) through Graph",
        description="POST /security/runHuntingQuery (ThreatHunting.Read.All). Every run is journaled: the query, "
                    "who, when, the row count and the SHA-256 of the result; --attach adds the result to an "
                    "incident as evidence. Saved queries (data/hunting/*.toml, hunting.folder) take parameters, "
                    "always quoted as KQL strings.")
    parser.add_argument("query", nargs="?", metavar="QUERY", help="KQL text (or use --saved NAME)")
    parser.add_argument("--saved", metavar="NAME", help="run a saved query")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a saved query's parameter (repeat for each)")
    parser.add_argument("--list", action="store_true", help="list the saved queries and their parameters")
    parser.add_argument("--incident", metavar="ID", help="journal the run under this incident")
    parser.add_argument("--attach", action="store_true", help="attach the result to --incident as evidence")
    parser.add_argument("--json", action="store_true", help="print {schema, results} as Graph returned them")
    parser.set_defaults(handler=run_hunt_command)


def _library(ctx: Context) -> Any:
    from ..hunting import QueryLibrary

    return QueryLibrary.load(ctx.config.get("hunting.folder"))


def run_hunt_command(ctx: Context) -> int:
    from ..graph.auth import SignInRequired
    from ..graph.connect import connect
    from ..graph.errors import GraphError
    from ..hunting import fill, hunt, parse_params

    args = ctx.args
    if args.list:
        for query in _library(ctx).queries.values():
            params = " ".join(f"--param {p}=…" for p in query.params)
            print(f"{query.name:<24} {literal(query.description, 200)}")
            print(f"{'':<24} warroom hunt --saved {query.name} {params}  (serves: {', '.join(query.serves) or '-'})")
        return 0
    if bool(args.query) == bool(args.saved):
        raise CliError("give a KQL query or --saved NAME (one of them)")
    if args.attach and not args.incident:
        raise CliError("--attach needs --incident ID")
    if args.saved:
        values = parse_params(args.param)
        kql = fill(_library(ctx).get(args.saved), values)
    else:
        if args.param:
            raise CliError("--param is for saved queries")
        values, kql = {}, args.query

    async def go() -> Any:
        async with await ctx.open_journal() as journal:
            gateway = await connect(ctx.config)
            async with gateway:
                result, entries = await hunt(gateway, journal, kql, saved=args.saved, params=values or None,
                                             incident=args.incident, attach=args.attach)
                return result, entries

    try:
        result, entries = run_async(go())
    except SignInRequired as error:
        raise CliError(f"not signed in: {error}") from None
    except GraphError as error:
        from ..containment import explain_graph

        raise CliError(f"hunt failed (journaled): {explain_graph(error, 'running the query')}") from None
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=True))
        return 0
    print_table(result)
    where = f" under {literal(args.incident)}" if args.incident else ""
    attached = " and attached as evidence" if args.attach else ""
    print(f"{len(result.results)} row(s), sha256 {result.sha256}; journaled as entry {entries[0].seq}{where}{attached}")
    return 0


def print_table(result: Any) -> None:
    columns = [str(c.get("name")) for c in result.schema] or sorted({k for r in result.results for k in r})
    rows = [[literal(row.get(c), CELL) for c in columns] for row in result.results[:MAX_PRINTED_ROWS]]
    widths = [min(CELL, max([len(literal(c, CELL)), *(len(r[i]) for r in rows)])) for i, c in enumerate(columns)]
    print("  ".join(literal(c, CELL).ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    if len(result.results) > MAX_PRINTED_ROWS:
        print(f"… {len(result.results) - MAX_PRINTED_ROWS} more row(s): use --json for all of them")

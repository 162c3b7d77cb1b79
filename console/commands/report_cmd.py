"""`warroom report INCIDENT`: the post-incident report as Markdown or one self-contained HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "report", parents=[common], help="write an incident's post-incident report (Markdown or HTML)",
        description="Reads the journal read-only; the chain is verified and the result stated in the report. When it "
        "does not verify, the report says so first and marks the entries affected, and the command exits 1.",
    )
    parser.add_argument("incident", metavar="INCIDENT", help="incident id, e.g. INC-20261124-01")
    parser.add_argument("--format", choices=("md", "html"), default="md", help="output format (default md)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    parser.set_defaults(handler=run)


def run(ctx: Context) -> int:
    from ..comms import cadence_minutes
    from ..exchange import warn_if_broken
    from ..files import private_output
    from ..report import report_and_verdict

    cadence = cadence_minutes(ctx.config)
    text, verdict = report_and_verdict(ctx.journal_file(), ctx.args.incident, ctx.args.format, cadence=cadence)
    if not ctx.args.output or ctx.args.output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        with private_output(Path(ctx.args.output)) as out:
            out.write(text)
        print(f"report written to {ctx.args.output}")
    return warn_if_broken(verdict, "the report")

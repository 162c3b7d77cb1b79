"""`warroom config`: the effective configuration and where each value came from."""

from __future__ import annotations

import argparse
import json
import sys

from ..cli import Context
from ..config import SETTINGS, Config, default_config_path


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("config", parents=[common], help="print the effective configuration")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def _shown(key: str, value: object) -> object:
    """A password that slipped into the shared journal's URL is never printed."""
    if key == "journal" and isinstance(value, str):
        from ..journal.postgres import redact

        return redact(value)
    return value


def run(ctx: Context) -> int:
    config = ctx.config
    values = {key: _shown(key, value) for key, value in config.values.items()}
    if ctx.args.json:
        print(json.dumps({k: {"value": v, "from": config.origins[k]} for k, v in values.items()}, indent=2))
        _warn_skipped(config)
        return 0
    print(f"# config file: {config.file or f'(none; would be read from {default_config_path()})'}")
    width = max(len(key) for key in config.values)
    for key, value in values.items():
        shown = "-" if value is None else json.dumps(value) if not isinstance(value, str) else value
        print(f"{key:<{width}}  {shown:<40}  ({config.origins[key]})")
        if key in SETTINGS and value is None:
            continue
    _warn_skipped(config)
    routing = config.routing
    if routing.channels or routing.audiences:
        print("# notification channels (secrets are read from the environment and never shown)")
        for name, channel in routing.channels.items():
            print(f"channel {name}: {channel.describe()}")
        for name, audience in routing.audiences.items():
            print(f"audience {name}: to {', '.join(audience.to) or '(nobody by mail)'} "
                  f"through {', '.join(audience.channels) or '(no channel)'}")
    return 0


def _warn_skipped(config: Config) -> None:
    """Playbook and template files the console would skip, one line each on stderr (they cost only that file)."""
    from ..comms import load_templates
    from ..playbooks import PlaybookLibrary
    from ..text import literal

    skipped = [("playbook", error) for error in PlaybookLibrary.load(config.get("playbooks.folder")).skipped]
    skipped += [("template", error) for error in load_templates(config).skipped]
    for what, error in skipped:
        print(f"warroom: {what} file skipped: {literal(error)}", file=sys.stderr)

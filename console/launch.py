"""The `warroom` command's entry point: the collector stays off until there is something worth collecting.

Starting up (imports, parsing, the console's first frame) allocates a great deal and frees almost nothing, so
Python's cyclic garbage collector would walk the same young objects again and again for nothing: about 30 ms
before the console's first frame. It is switched off here, before anything is imported, and back on when the
command runs (the console: once its panes are drawn, after freezing what startup built).
"""

from __future__ import annotations

import gc


def main() -> int:
    gc.disable()
    try:
        from .cli import main as run

        return run()
    finally:
        gc.enable()

"""Built-in playbooks, message templates, checklists and simulated-tenant scenarios: files shipped in the package.

`FOLDER` is where they are. A plain path (not importlib.resources, ~2 ms to import): `warroom demo` checks its
scenario name here before the console's first frame.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent

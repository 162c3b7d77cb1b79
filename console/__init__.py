"""warroom's headless core: journal, configuration, Graph access, simulated tenant, playbooks, reports.

Nothing here imports Textual except `console.app`, the one place the UI is assembled; the CLI
imports it lazily, so `warroom journal verify` or `warroom status` never load the UI stack.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("m365-warroom")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"

"""warroom's headless core: journal, configuration, Graph access, simulated tenant, playbooks, reports.

Nothing here imports Textual or the UI (screens/, widgets/); the console commands import the App
(screens/app.py) lazily, so `warroom journal verify` or `warroom status` never load the UI stack.
"""

from functools import cache


@cache
def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # ~30 ms: only when someone asks

    try:
        return version("m365-warroom")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0+checkout"


def __getattr__(name: str) -> str:
    """`warroom.console.__version__`, looked up on first use so the console starts without importlib.metadata."""
    if name == "__version__":
        return _installed_version()
    raise AttributeError(name)

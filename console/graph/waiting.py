"""How long a one-shot command (`warroom status`, `warroom preflight`) may wait for Graph to answer, in total.

A busy tenant answers 429 with Retry-After (riskyUsers: without), a gateway 503: a script asking once a minute
should get its answer after the wait Graph asked for, not "throttled". Only answers that say "later" are waited
for (429, 5xx, 408); a refused connection or a denial is reported at once. Every wait is recorded, so the command
can say what it waited for, and one that would overrun the budget is not started but reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple, TypeGuard

from .errors import GraphThrottled, GraphUnavailable

DEFAULT_WAIT_S = 60.0


class Waited(NamedTuple):
    source: str
    seconds: float
    reason: str                 # "429, Retry-After 2 s", "HTTP 503"
    done: bool                  # False: Graph asked for longer than the budget left, so this wait was not made

    def describe(self) -> str:
        if self.done:
            return f"waited {self.seconds:g} s for {self.source} ({self.reason})"
        return f"did not wait {self.seconds:g} s for {self.source} ({self.reason}): over the --wait budget"

    def as_dict(self) -> dict[str, object]:
        return {"source": self.source, "seconds": self.seconds, "reason": self.reason, "waited": self.done}


def says_later(error: BaseException | None) -> TypeGuard[GraphThrottled | GraphUnavailable]:
    """An answer that asks us to come back: 429, or a 5xx/408 from Graph or a gateway in front of it."""
    if isinstance(error, GraphThrottled):
        return True
    return isinstance(error, GraphUnavailable) and error.status is not None


def why_later(error: GraphThrottled | GraphUnavailable) -> str:
    """`429, Retry-After 2 s`, `HTTP 503`: the words the status bar uses for the same answer."""
    retry_after = error.retry_after
    if isinstance(error, GraphThrottled) and retry_after is not None:
        return f"429, Retry-After {retry_after:g} s"
    return error.reason


class WaitBudget:
    """A total number of seconds to spend waiting, across every source and retry of one command."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = max(0.0, seconds)
        self._clock = clock
        self._deadline = clock() + self.seconds
        self.waits: list[Waited] = []

    def take(self, source: str, seconds: float, reason: str) -> bool:
        """May we wait `seconds` for `source` now? Either way the decision is recorded."""
        seconds = round(max(0.0, seconds), 3)
        allowed = self._clock() + seconds <= self._deadline
        self.waits.append(Waited(source, seconds, reason, allowed))
        return allowed

    def fallback(self, attempt: int, minimum: float = 1.0) -> float:
        """The pause when Graph did not say how long (riskyUsers' 429, a 503 without Retry-After): 1, 2, 4… s."""
        return max(minimum, min(30.0, 2.0 ** (attempt - 1)))

"""Trouble the simulated tenant can cause on purpose: throttling, outages, slow or broken answers.

A fault matches requests by path prefix (relative to /v1.0/), optionally by method and a window of
scenario time, and affects at most `count` of them (None: until cleared). Graph trouble is normal in an
emergency; these exist so every pane can show it is stale, with the reason, instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# kind -> what the response looks like
KINDS = {
    "throttle": "429 TooManyRequests, with Retry-After when retry_after is set",
    "server-error": "a 5xx Graph error (status: 500, 503 or 504; default 503)",
    "slow": "the normal answer after `delay` seconds",
    "truncated-json": "200 with the JSON body cut in half",
    "html-502": "502 with an HTML error page, as a gateway in front of Graph sends",
    "token-expired": "401 InvalidAuthenticationToken until a request brings a different token",
    "forbidden": "403 Authorization_RequestDenied",
    "disconnect": "the connection closes without an answer (network trouble, a proxy dropping us)",
    "looping-next-link": "every page's @odata.nextLink points back at the same page, for ever",
    "escaping-next-link": "@odata.nextLink leaves the collection (same host, another path: /v1.0/users)",
    "endless-next-link": "@odata.nextLink never ends: each page links to a new, empty page after the last",
}


@dataclass
class Fault:
    """One kind of trouble; see KINDS. `start`/`end` are scenario seconds."""

    kind: str
    path_prefix: str = ""
    count: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    status: int | None = None
    method: str | None = None
    start: float | None = None
    end: float | None = None
    used: int = field(default=0, compare=False)
    expired_tokens: set[str] = field(default_factory=set, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(KINDS)})")
        if self.kind == "server-error" and self.status not in (None, 500, 502, 503, 504):
            raise ValueError(f"server-error status must be 500, 502, 503 or 504, not {self.status}")
        if self.count is not None and self.count < 0:
            raise ValueError("fault count must be zero or more")
        self.path_prefix = self.path_prefix.strip("/")

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.used >= self.count

    def matches(self, method: str, path: str, scenario_time: float) -> bool:
        """Does this fault apply to a request for `path` (relative to /v1.0/, no query)?"""
        if self.exhausted:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.start is not None and scenario_time < self.start:
            return False
        if self.end is not None and scenario_time >= self.end:
            return False
        return path.strip("/").lower().startswith(self.path_prefix.lower())

    @classmethod
    def parse(cls, text: str) -> Fault:
        """`kind[,key=value...]`, for the command line: `throttle,retry_after=5,path=security/alerts_v2,count=3`."""
        kind, *options = [part.strip() for part in text.split(",") if part.strip()]
        values: dict[str, object] = {}
        for option in options:
            key, sep, value = option.partition("=")
            key = {"path": "path_prefix"}.get(key.strip(), key.strip())
            if not sep:
                raise ValueError(f"fault option {option!r} needs key=value")
            if key in ("count", "status"):
                values[key] = int(value)
            elif key in ("retry_after", "delay", "start", "end"):
                values[key] = float(value)
            elif key in ("path_prefix", "method"):
                values[key] = value.strip()
            else:
                raise ValueError(f"unknown fault option {key!r}")
        return cls(kind, **values)  # type: ignore[arg-type]

    @classmethod
    def from_table(cls, table: dict[str, object]) -> Fault:
        """A `[[faults]]` table from a scenario file (same keys; `path` is accepted for `path_prefix`)."""
        data = dict(table)
        if "path" in data:
            data["path_prefix"] = data.pop("path")
        allowed = {"kind", "path_prefix", "count", "retry_after", "delay", "status", "method", "start", "end"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault key(s): {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("a fault needs a kind")
        return cls(**data)  # type: ignore[arg-type]

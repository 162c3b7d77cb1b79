"""What Graph tells us, as small immutable records parsed from Graph's JSON.

We parse the JSON ourselves (the SDK's raw mode), so an enum value we have never seen stays the raw
string Graph sent and is shown as is: never None. Strings here are attacker-controlled: widgets must
render them literally.

The records are NamedTuples: immutable like frozen dataclasses, but defining one costs a tenth as much (the
console imports these before its first frame) and 50,000 alerts take less memory. Each keeps the JSON it came
from, which takes part in equality like any field: two records are equal when Graph said the same. An alert keeps
it as compact JSON packed with LZ4 (`packed_json`, about a sixth of the text) and unpacks and parses it only when
asked (`raw`, `evidence`, `description`, `web_url`): a tenant has tens of thousands of alerts, and Graph's object
is most of an alert's memory (as dicts it was also most of what the garbage collector walked).
"""

import json
import re
import sys
import threading
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple, Self

import orjson

from ..timefmt import from_iso

# serviceHealthStatus values that mean "nothing is wrong for users right now".
OPERATIONAL_STATES = frozenset(
    {"serviceOperational", "serviceRestored", "resolved", "resolvedExternal", "falsePositive",
     "postIncidentReviewPublished", "mitigated", "mitigatedExternal"}
)
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "informational": 3, "unknown": 4}
NO_DATA: Mapping[str, Any] = MappingProxyType({})      # `raw` of a record built by hand (tests, drills)

_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(p|div|br|li|ul|ol|h\d|tr|table)\b[^>]*>", re.IGNORECASE)


def compact_json(data: Any) -> bytes:
    """Graph's object as compact UTF-8 JSON with sorted keys: what a record keeps and what its digest is of.

    orjson writes the same text as `json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"))` four
    times faster; what it cannot write (a non-string key, an integer past 64 bits, a lone surrogate) goes through
    `json`. It writes NaN as null, and Graph's JSON cannot hold NaN. orjson's bytes keep the 16 KiB buffer it
    wrote into (800 MB for 50,000 alerts kept): a copy holds only the text.
    """
    try:
        return bytes(memoryview(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)))
    except TypeError:           # orjson.JSONEncodeError is a TypeError
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode(
            "utf-8", "surrogatepass")


# orjson reads an integer past 64 bits as a float, its digits lost, where json keeps it: a run of 19 digits anywhere
# (such an integer, or text that merely holds one) leaves the text to json. One pass in C: ~0.5 ms a 1 MB page.
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19


def orjson_reads_as_json(text: bytes) -> bool:
    """Whether orjson reads this text as json does, when it reads it at all (no integer it would make a float)."""
    return _LONG_NUMBER not in text.translate(_DIGITS_AS_ZEROS)


# An alert's JSON is packed against a dictionary: the start of the first alert this process packs. Alerts of one
# tenant share most of their text (property names, the tenant's id, portal addresses, products), so each packs to
# 200-500 bytes instead of 1.7-2.4 KB; a longer dictionary costs more time per alert than it saves.
PACK_DICTIONARY_BYTES = 4096
_dictionary: bytes | None = None
_dictionary_set = threading.Lock()


def _pack_dictionary(text: bytes) -> bytes:
    """The process's dictionary, taken once from `text` (the first alert packed) and never changed after: every
    packed alert is unpacked with the one it was packed with."""
    global _dictionary
    with _dictionary_set:
        if _dictionary is None:
            _dictionary = bytes(text[:PACK_DICTIONARY_BYTES])
        return _dictionary


def pack_json(text: bytes) -> bytes:
    """`compact_json`'s text as an alert keeps it: an LZ4 block (its length first), ~2 us for an alert."""
    import lz4.block  # after the first frame: only the first alert needs it

    return lz4.block.compress(text, dict=_dictionary or _pack_dictionary(text))


def unpack_json(packed: bytes) -> bytes:
    """What `pack_json` packed (b"": an object with nothing in it)."""
    if not packed:
        return b"{}"
    import lz4.block

    return lz4.block.decompress(packed, dict=_dictionary or b"")


def parse_json(text: bytes) -> Any:
    """What `compact_json` wrote, read back (Python's parser for what orjson refuses or reads otherwise: huge
    integers, surrogates)."""
    if orjson_reads_as_json(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text.decode("utf-8", "surrogatepass"))


def html_to_text(content: str) -> str:
    """Service-health posts are HTML: keep the words and the paragraph breaks, drop every tag."""
    text = _BLOCK.sub("\n", content or "")
    import html  # only for posts with markup, after the first frame

    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return from_iso(str(value))
    except ValueError:
        return None


def _shared(value: Any) -> str:
    """A value thousands of alerts repeat (a category, a product), kept once however many alerts name it."""
    return sys.intern(_str(value))


@lru_cache(maxsize=4096)
def _same(values: tuple[str, ...]) -> tuple[str, ...]:
    """Values thousands of alerts repeat together (the accounts in their evidence, their MITRE techniques), kept
    once: the first such tuple stands for the equal ones after it (a bounded cache: a rare one costs what it did)."""
    return tuple(map(sys.intern, values))


def _objects(value: Any) -> tuple[dict[str, Any], ...]:
    """The objects of a list Graph sent (anything else in it, or a value that is not a list: none)."""
    return tuple(item for item in value if isinstance(item, dict)) if isinstance(value, list) else ()


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _values(*names: str) -> Mapping[str, str]:
    """An enum's documented members by lower case: how a value in any casing finds its canonical spelling."""
    return MappingProxyType({name.lower(): name for name in (*names, "unknownFutureValue")})


def _enum(value: Any, known: Mapping[str, str]) -> str:
    """Graph's samples send `ServiceOperational` as well as `serviceOperational`: a known member in any casing
    becomes its documented spelling (what the rest of the console compares with); anything else stays as sent."""
    text = _str(value)
    return known.get(text.lower(), text)


HEALTH_STATUS = _values(
    "serviceOperational", "investigating", "restoringService", "verifyingService", "serviceRestored",
    "postIncidentReviewPublished", "serviceDegradation", "serviceInterruption", "extendedRecovery", "falsePositive",
    "investigationSuspended", "resolved", "mitigatedExternal", "mitigated", "resolvedExternal", "confirmed",
    "reported")
ISSUE_CLASSIFICATION = _values("advisory", "incident")
ISSUE_ORIGIN = _values("microsoft", "thirdParty", "customer")
POST_TYPE = _values("regular", "quick", "strategic")
MESSAGE_SEVERITY = _values("normal", "high", "critical")
MESSAGE_CATEGORY = _values("preventOrFixIssue", "planForChange", "stayInformed")
ALERT_SEVERITY = _values("unknown", "informational", "low", "medium", "high")
ALERT_STATUS = _values("unknown", "new", "inProgress", "resolved")
INCIDENT_STATUS = _values("active", "resolved", "inProgress", "redirected", "awaitingAction")
CLASSIFICATION = _values("unknown", "falsePositive", "truePositive", "informationalExpectedActivity")
DETERMINATION = _values(
    "unknown", "apt", "malware", "securityPersonnel", "securityTesting", "unwantedSoftware", "other",
    "multiStagedAttack", "compromisedAccount", "phishing", "maliciousUserActivity", "notMalicious",
    "notEnoughDataToValidate", "confirmedUserActivity", "lineOfBusinessApplication")
RISK_LEVEL = _values("low", "medium", "high", "hidden", "none")
RISK_STATE = _values("none", "confirmedSafe", "remediated", "dismissed", "atRisk", "confirmedCompromised")
AUDIT_RESULT = _values("success", "failure", "timeout")


class Post(NamedTuple):
    created: datetime | None
    post_type: str
    text: str


class ServiceIssue(NamedTuple):
    """A Microsoft service issue (EX123456, SP…, TM…): "is it us or Microsoft?"."""

    id: str
    title: str
    service: str
    feature: str
    feature_group: str
    classification: str     # incident | advisory | unknown strings kept
    status: str             # serviceHealthStatus, raw
    origin: str
    is_resolved: bool
    impact: str
    started: datetime | None
    ended: datetime | None
    last_modified: datetime | None
    posts: tuple[Post, ...] = ()
    raw: Mapping[str, Any] = NO_DATA

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Self:
        posts = tuple(
            Post(_time(p.get("createdDateTime")), _enum(p.get("postType"), POST_TYPE),
                 html_to_text(_str((p.get("description") or {}).get("content"))))
            for p in data.get("posts") or []
        )
        return cls(
            id=_str(data.get("id")), title=_str(data.get("title")), service=_str(data.get("service")),
            feature=_str(data.get("feature")), feature_group=_str(data.get("featureGroup")),
            classification=_enum(data.get("classification"), ISSUE_CLASSIFICATION),
            status=_enum(data.get("status"), HEALTH_STATUS), origin=_enum(data.get("origin"), ISSUE_ORIGIN),
            is_resolved=bool(data.get("isResolved")),
            impact=_str(data.get("impactDescription")), started=_time(data.get("startDateTime")),
            ended=_time(data.get("endDateTime")), last_modified=_time(data.get("lastModifiedDateTime")),
            posts=posts, raw=data,
        )

    def posts_newest_first(self) -> list[Post]:
        return sorted(self.posts, key=lambda p: p.created.timestamp() if p.created else 0.0, reverse=True)


class ServiceHealth(NamedTuple):
    """One workload's health overview: Exchange Online, SharePoint Online, Microsoft Teams, …"""

    id: str
    service: str
    status: str
    issue_ids: tuple[str, ...] = ()
    raw: Mapping[str, Any] = NO_DATA

    @property
    def operational(self) -> bool:
        return self.status in OPERATIONAL_STATES

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Self:
        issues = tuple(_str(i.get("id")) for i in data.get("issues") or [] if not i.get("isResolved"))
        return cls(_str(data.get("id")), _str(data.get("service")), _enum(data.get("status"), HEALTH_STATUS), issues,
                   data)


class ServiceMessage(NamedTuple):
    """A Message center post: planned changes that may explain "it broke this morning"."""

    id: str
    title: str
    category: str
    severity: str
    services: tuple[str, ...]
    is_major_change: bool
    started: datetime | None
    last_modified: datetime | None
    text: str
    action_required_by: datetime | None = None
    tags: tuple[str, ...] = ()
    raw: Mapping[str, Any] = NO_DATA

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Self:
        return cls(
            id=_str(data.get("id")), title=_str(data.get("title")),
            category=_enum(data.get("category"), MESSAGE_CATEGORY),
            severity=_enum(data.get("severity"), MESSAGE_SEVERITY), services=tuple(data.get("services") or ()),
            is_major_change=bool(data.get("isMajorChange")), started=_time(data.get("startDateTime")),
            last_modified=_time(data.get("lastModifiedDateTime")),
            text=html_to_text(_str((data.get("body") or {}).get("content"))),
            action_required_by=_time(data.get("actionRequiredByDateTime")),
            tags=tuple(_str(t) for t in data.get("tags") or () if t is not None), raw=data,
        )


class Alert(NamedTuple):
    """A Defender alert (security/alerts_v2): what the alerts pane, the subject and the watch list read, and Graph's
    object packed, unpacked for what only an alert's detail reads (`description`, `web_url`, `evidence`)."""

    id: str
    title: str
    severity: str          # high | medium | low | informational | unknown | anything new, raw
    status: str            # new | inProgress | resolved | …
    category: str
    service_source: str
    detection_source: str
    incident_id: str
    created: datetime | None
    last_updated: datetime | None
    mitre_techniques: tuple[str, ...]
    users: tuple[str, ...]          # UPNs named in the evidence
    ips: tuple[str, ...]            # IP addresses named in the evidence
    packed_json: bytes = b""        # the alert as Graph sent it, `compact_json` packed (`pack_json`); b"": {}

    @property
    def severity_rank(self) -> int:
        return SEVERITY_ORDER.get(self.severity, 5)

    @property
    def graph_json(self) -> bytes:
        """Graph's object as `compact_json` wrote it: what its digest is of."""
        return unpack_json(self.packed_json)

    @property
    def raw(self) -> dict[str, Any]:
        """Graph's object, parsed anew at each use (a copy: changing it changes nothing)."""
        data = parse_json(self.graph_json)
        return data if isinstance(data, dict) else {}

    @property
    def evidence(self) -> tuple[dict[str, Any], ...]:
        """The evidence objects, parsed when asked (a detail screen, the subject's services)."""
        return _objects(self.raw.get("evidence"))

    @property
    def description(self) -> str:
        return _str(self.raw.get("description"))

    @property
    def web_url(self) -> str:
        """The alert in Defender's portal as Graph gave it (offered only when it is one: console/links.py)."""
        return _str(self.raw.get("alertWebUrl"))

    @classmethod
    def from_graph(cls, data: dict[str, Any], graph_json: bytes | None = None) -> Self:
        """`graph_json`, when the caller has it already, is `compact_json(data)` (the watcher digests it).

        Fields by position, empty lists skipped: a first sight of 50,000 alerts builds 50,000 of these."""
        get = data.get
        users: list[str] = []
        ips: list[str] = []
        evidence = get("evidence")
        if evidence:
            for item in _objects(evidence):
                account = item.get("userAccount") or {}
                upn = account.get("userPrincipalName")
                if upn and upn not in users:
                    users.append(_str(upn))
                ip = item.get("ipAddress")
                if ip and ip not in ips:
                    ips.append(_str(ip))
        mitre = get("mitreTechniques")
        raised, updated = get("createdDateTime"), get("lastUpdateDateTime")
        created = _time(raised)
        return cls(
            _str(get("id")), _str(get("title")),
            _enum(get("severity"), ALERT_SEVERITY) or "unknown", _enum(get("status"), ALERT_STATUS) or "unknown",
            _shared(get("category")), _shared(get("serviceSource")), _shared(get("detectionSource")),
            # an alert not updated since it was raised keeps one moment for both (48 bytes each)
            _shared(get("incidentId")), created,
            created if updated == raised else _time(updated),
            _same(tuple(map(str, mitre))) if mitre else (),
            _same(tuple(users)) if users else (), _same(tuple(ips)) if ips else (),
            pack_json(compact_json(data) if graph_json is None else graph_json),
        )


class SecurityIncident(NamedTuple):
    """A Defender incident (security/incidents): a group of related alerts."""

    id: str
    display_name: str
    severity: str
    status: str
    classification: str
    determination: str
    created: datetime | None
    last_updated: datetime | None
    web_url: str
    assigned_to: str
    alert_ids: tuple[str, ...] = ()
    raw: Mapping[str, Any] = NO_DATA

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Self:
        return cls(
            id=_str(data.get("id")), display_name=_str(data.get("displayName")),
            severity=_enum(data.get("severity"), ALERT_SEVERITY) or "unknown",
            status=_enum(data.get("status"), INCIDENT_STATUS),
            classification=_enum(data.get("classification"), CLASSIFICATION),
            determination=_enum(data.get("determination"), DETERMINATION),
            created=_time(data.get("createdDateTime")), last_updated=_time(data.get("lastUpdateDateTime")),
            web_url=_str(data.get("incidentWebUrl")), assigned_to=_str(data.get("assignedTo")),
            alert_ids=tuple(_str(a.get("id")) for a in data.get("alerts") or [] if isinstance(a, dict)), raw=data,
        )


class RiskyUser(NamedTuple):
    id: str
    upn: str
    display_name: str
    risk_level: str
    risk_state: str
    risk_detail: str
    last_updated: datetime | None
    raw: Mapping[str, Any] = NO_DATA

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Self:
        return cls(
            id=_str(data.get("id")), upn=_str(data.get("userPrincipalName")),
            display_name=_str(data.get("userDisplayName")), risk_level=_enum(data.get("riskLevel"), RISK_LEVEL),
            risk_state=_enum(data.get("riskState"), RISK_STATE), risk_detail=_str(data.get("riskDetail")),
            last_updated=_time(data.get("riskLastUpdatedDateTime")), raw=data,
        )


class SignIn(NamedTuple):
    id: str
    created: datetime | None
    upn: str
    app: str
    ip: str
    location: str
    error_code: int
    failure_reason: str
    client_app: str
    risk_level: str
    raw: Mapping[str, Any] = NO_DATA

    @property
    def succeeded(self) -> bool:
        return self.error_code == 0

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Self:
        status = data.get("status") or {}
        loc = data.get("location") or {}
        location = ", ".join(_str(loc.get(k)) for k in ("city", "countryOrRegion") if loc.get(k))
        return cls(
            id=_str(data.get("id")), created=_time(data.get("createdDateTime")),
            upn=_str(data.get("userPrincipalName")), app=_str(data.get("appDisplayName")),
            ip=_str(data.get("ipAddress")), location=location, error_code=int(status.get("errorCode") or 0),
            failure_reason=_str(status.get("failureReason")), client_app=_str(data.get("clientAppUsed")),
            risk_level=_enum(data.get("riskLevelDuringSignIn"), RISK_LEVEL), raw=data,
        )


class DirectoryAudit(NamedTuple):
    id: str
    at: datetime | None
    activity: str
    category: str
    result: str
    initiated_by: str
    targets: tuple[str, ...]
    raw: Mapping[str, Any] = NO_DATA

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Self:
        initiated = data.get("initiatedBy") or {}
        who = (initiated.get("user") or {}).get("userPrincipalName") or (initiated.get("app") or {}).get(
            "displayName"
        )
        targets = tuple(
            _str(t.get("userPrincipalName") or t.get("displayName") or t.get("id"))
            for t in data.get("targetResources") or []
        )
        return cls(
            id=_str(data.get("id")), at=_time(data.get("activityDateTime")),
            activity=_str(data.get("activityDisplayName")), category=_str(data.get("category")),
            result=_enum(data.get("result"), AUDIT_RESULT), initiated_by=_str(who), targets=targets, raw=data,
        )

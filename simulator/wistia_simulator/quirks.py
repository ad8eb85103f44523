"""Quirks: behaviours of the real Wistia API that are off by default (see docs/simulator.md, "Quirks").

Syntax: `none`, `all` (every quirk except the two auth ones, AUTH_QUIRKS), or a comma list of quirk names
and `option=value` settings, e.g. `tz,page_cap,slow_pages,slow_seconds=0.3-0.5`; `all` mixes in
(`all,basic_refused`). Setting an option turns its quirk on (`page_cap=20` alone caps pages at 20).

Every decision is a pure function of the seed and the request sequence number (slow pages, churn) or of
the world's tag and the event index (bad records, personal data in URLs), like fault decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from wistia_simulator import ids

QUIRKS = (
    "tz",
    "page_cap",
    "slow_pages",
    "visitor_churn",
    "bad_record",
    "basic_refused",
    "scope_missing",
    "url_pii",
)
AUTH_QUIRKS = ("basic_refused", "scope_missing")
NAMED = ("none", "all")
OPTIONS: dict[str, tuple[str, str]] = {
    # option -> (the quirk it configures, what a value looks like)
    "tz_offset": ("tz", "HOURS"),
    "page_cap": ("page_cap", "N"),
    "slow_share": ("slow_pages", "P"),
    "slow_seconds": ("slow_pages", "MIN-MAX"),
    "churn_share": ("visitor_churn", "P"),
    "bad_record_share": ("bad_record", "P"),
    "url_pii_share": ("url_pii", "P"),
}
SLOW_MIN_ROWS = 50
"""Only list responses holding more rows than this can be slow (pages of 50 were seen not to time out)."""
PII_FORMS = ("query_email", "fragment_email", "form_prefill")


@dataclass(frozen=True, slots=True)
class Quirks:
    names: frozenset[str] = frozenset()
    tz_offset_hours: int = -5
    """`tz`: the account's timezone, a fixed offset from UTC (no DST)."""
    page_cap: int = 10
    """`page_cap`: rows per page whatever per_page asks (per_page below it is honoured)."""
    slow_share: float = 0.2
    """`slow_pages`: share of list responses of more than 50 rows that are slow."""
    slow_seconds: tuple[float, float] = (20.0, 60.0)
    """`slow_pages`: a slow response's delay, drawn uniformly from [min, max]."""
    churn_share: float = 0.3
    """`visitor_churn`: probability that a visitor list request with page >= 2 promotes a visitor."""
    bad_record_share: float = 0.03
    """`bad_record`: share of events served without `received_at`."""
    url_pii_share: float = 0.05
    """`url_pii`: share of events whose `embed_url` carries the visitor's personal data."""
    spec: str = field(default="none", compare=False)

    @classmethod
    def parse(cls, spec: str) -> Quirks:
        text = (spec or "").strip()
        quirks = cls(spec=text or "none")
        names: set[str] = set()
        for raw_item in text.split(","):
            item = raw_item.strip()
            if not item or item == "none":
                continue
            if item == "all":
                names.update(q for q in QUIRKS if q not in AUTH_QUIRKS)
                continue
            name, sep, value = item.partition("=")
            name = name.strip()
            if sep:
                if name not in OPTIONS:
                    raise ValueError(_error(spec, f"unknown option {name!r}"))
                quirks = _apply_option(quirks, name, value.strip(), spec)
                names.add(OPTIONS[name][0])
                continue
            if name not in QUIRKS:
                raise ValueError(_error(spec, f"unknown quirk {name!r}"))
            names.add(name)
        return replace(quirks, names=frozenset(names))

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __bool__(self) -> bool:
        return bool(self.names)

    def describe(self) -> dict[str, Any]:
        """JSON-able: the quirks that are on (sorted) and every option's value."""
        return {
            "names": sorted(self.names),
            "tz_offset_hours": self.tz_offset_hours,
            "page_cap": self.page_cap,
            "slow_share": self.slow_share,
            "slow_seconds": list(self.slow_seconds),
            "churn_share": self.churn_share,
            "bad_record_share": self.bad_record_share,
            "url_pii_share": self.url_pii_share,
            "spec": self.spec,
        }

    # -- decisions (pure functions of their arguments) ----------------------------------------------

    @property
    def event_day_offset_hours(self) -> int:
        """Offset of /stats/events' day filters from UTC: tz_offset_hours with `tz`, else 0."""
        return self.tz_offset_hours if "tz" in self.names else 0

    @property
    def max_per_page(self) -> int | None:
        return self.page_cap if "page_cap" in self.names else None

    def slow_delay(self, seed: int, sequence: int, rows: int) -> float:
        """Seconds to delay a list response of `rows` rows (0.0: not slow)."""
        if "slow_pages" not in self.names or rows <= SLOW_MIN_ROWS or self.slow_share <= 0.0:
            return 0.0
        if ids.unit_float("quirk_slow", seed, sequence) >= self.slow_share:
            return 0.0
        low, high = self.slow_seconds
        return low + (high - low) * ids.unit_float("quirk_slow_seconds", seed, sequence)

    def churn_pick(self, seed: int, sequence: int, page: int, candidates: int) -> int | None:
        """Which of `candidates` unread visitors (0-based, after the requested page) becomes active
        during this request, or None. Page 1 never churns."""
        if "visitor_churn" not in self.names or page < 2 or candidates <= 0:
            return None
        if ids.unit_float("quirk_churn", seed, sequence) >= self.churn_share:
            return None
        return ids.digest_int("quirk_churn_pick", seed, sequence) % candidates

    def bad_record(self, tag: str, index: int) -> bool:
        """Event `index` is served without `received_at`."""
        return "bad_record" in self.names and ids.unit_float("quirk_bad_record", tag, index) < (
            self.bad_record_share
        )

    def pii_form(self, tag: str, index: int) -> str | None:
        """How event `index`'s embed_url carries its visitor's personal data (one of PII_FORMS), or None."""
        if "url_pii" not in self.names or ids.unit_float("quirk_url_pii", tag, index) >= self.url_pii_share:
            return None
        return PII_FORMS[ids.digest_int("quirk_url_pii_form", tag, index) % len(PII_FORMS)]


NO_QUIRKS = Quirks()


def phone_number(tag: str, visitor: int) -> str:
    """A deterministic, fictional North American number (555-01XX is reserved for fiction)."""
    n = ids.digest_int(tag, "phone", visitor, bits=32)
    return f"+1{200 + n % 800}55501{(n >> 10) % 100:02d}"


def with_pii(url: str, form: str, *, first: str, last: str, email: str, phone: str) -> str:
    """`url` with personal data added in `form`, keeping its existing query (utm_* parameters)."""
    if form == "fragment_email":
        return f"{url}#email={email}"
    if form == "query_email":
        extra = f"wemail={quote(email, safe='')}"
    else:
        names = f"first_name={quote(first, safe='')}&last_name={quote(last, safe='')}"
        extra = f"{names}&phone={quote(phone, safe='')}"
    return f"{url}{'&' if '?' in url else '?'}{extra}"


def _number(raw: str, spec: str, what: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(_error(spec, f"{what} must be a number, got {raw!r}")) from None


def _share(raw: str, spec: str, name: str) -> float:
    value = _number(raw, spec, name)
    if not 0.0 <= value <= 1.0:
        raise ValueError(_error(spec, f"{name} must be within [0, 1]"))
    return value


def _integer(raw: str, spec: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(_error(spec, f"{name} must be an integer, got {raw!r}")) from None


def _apply_option(quirks: Quirks, name: str, value: str, spec: str) -> Quirks:
    if name == "tz_offset":
        hours = _integer(value, spec, name)
        if not -12 <= hours <= 14:
            raise ValueError(_error(spec, "tz_offset must be within [-12, 14] hours"))
        return replace(quirks, tz_offset_hours=hours)
    if name == "page_cap":
        cap = _integer(value, spec, name)
        if cap < 1:
            raise ValueError(_error(spec, "page_cap must be >= 1"))
        return replace(quirks, page_cap=cap)
    if name == "slow_seconds":
        low_raw, sep, high_raw = value.partition("-")
        low = _number(low_raw, spec, "slow_seconds MIN")
        high = _number(high_raw, spec, "slow_seconds MAX") if sep else low
        if not 0.0 <= low <= high:
            raise ValueError(_error(spec, "slow_seconds must be MIN-MAX with 0 <= MIN <= MAX"))
        return replace(quirks, slow_seconds=(low, high))
    share = _share(value, spec, name)
    if name == "slow_share":
        return replace(quirks, slow_share=share)
    if name == "churn_share":
        return replace(quirks, churn_share=share)
    if name == "bad_record_share":
        return replace(quirks, bad_record_share=share)
    return replace(quirks, url_pii_share=share)


def _error(spec: str, problem: str) -> str:
    return (
        f"invalid quirks {spec!r}: {problem}. Use none, all (every quirk but {', '.join(AUTH_QUIRKS)}) or "
        f"a comma list of quirks: {', '.join(QUIRKS)}; options: "
        f"{', '.join(f'{o}={v}' for o, (_, v) in OPTIONS.items())}"
    )

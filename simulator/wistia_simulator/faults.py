"""Fault injection profiles.

Syntax (see docs/simulator.md): a named profile (`none`, `mixed`) or a comma list of
`kind=probability` / `kind@/route/prefix=probability` rules and `option=value` settings, e.g.
`http_500=0.2,slow@/stats/events=0.1,slow_seconds=2`. A rule may carry options after a colon
(`slow=0.1:slow_seconds=2`); options apply to the whole profile. Named profiles may be mixed in
(`mixed,slow_seconds=0.5`). Rules are tried in order; the first that fires decides.

Decisions are a pure function of (seed, request sequence number, rule position): a run that sends the
same requests in the same order meets the same faults.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from wistia_simulator import ids

KINDS = (
    "rate_limit_storm",
    "http_429",
    "http_503",
    "http_500",
    "slow",
    "malformed_json",
    "truncated_page",
)
OPTIONS = ("slow_seconds", "storm_length", "storm_seconds", "retry_after")
NAMED = ("none", "mixed")
_MIXED = (
    "http_429=0.02,http_503=0.01,http_500=0.01,slow=0.01,malformed_json=0.005,"
    "truncated_page=0.005,rate_limit_storm=0.003,slow_seconds=1"
)


@dataclass(frozen=True, slots=True)
class FaultRule:
    kind: str
    probability: float
    path_prefix: str | None = None
    """Only requests whose path (relative to /v1) starts with this prefix."""

    def applies_to(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)


@dataclass(frozen=True, slots=True)
class FaultProfile:
    rules: tuple[FaultRule, ...] = ()
    slow_seconds: float = 5.0
    """How long a `slow` response is delayed."""
    storm_length: int = 5
    """How many requests after the one that starts a `rate_limit_storm` also get 429..."""
    storm_seconds: float = 5.0
    """...as long as the storm lasts: like a real one, it passes with time, not only with requests (a
    lone client backing off would otherwise meet the same storm on every retry)."""
    retry_after: float = 1.0
    """Retry-After (seconds) sent with injected 429/503 responses."""
    spec: str = field(default="none", compare=False)

    @classmethod
    def parse(cls, spec: str) -> FaultProfile:
        text = (spec or "").strip()
        profile = cls(spec=text or "none")
        if text in ("", "none"):
            return profile
        rules: list[FaultRule] = []
        for raw_item in text.split(","):
            item = raw_item.strip()
            if not item or item == "none":
                continue
            if item == "mixed":
                mixed = cls.parse(_MIXED)
                rules.extend(mixed.rules)
                profile = replace(profile, slow_seconds=mixed.slow_seconds)
                continue
            head, *options = item.split(":")
            for option in options:
                profile = _apply_option(profile, option.strip(), spec)
            name, sep, value = head.partition("=")
            name = name.strip()
            if not sep:
                raise ValueError(_error(spec, f"{item!r} is not kind=probability"))
            if name in OPTIONS:
                profile = _apply_option(profile, head.strip(), spec)
                continue
            kind, _, prefix = name.partition("@")
            if kind not in KINDS:
                raise ValueError(_error(spec, f"unknown fault kind {kind!r}"))
            probability = _number(value, spec, f"probability of {kind}")
            if not 0.0 <= probability <= 1.0:
                raise ValueError(_error(spec, f"probability of {kind} must be within [0, 1]"))
            path_prefix = None
            if prefix:
                path_prefix = prefix if prefix.startswith("/") else "/" + prefix
                if path_prefix == "/v1" or path_prefix.startswith("/v1/"):
                    path_prefix = path_prefix[3:] or "/"
            rules.append(FaultRule(kind, probability, path_prefix))
        return replace(profile, rules=tuple(rules), spec=text)

    def decide(self, seed: int, sequence: int, path: str) -> str | None:
        for position, rule in enumerate(self.rules):
            if not rule.applies_to(path) or rule.probability <= 0.0:
                continue
            if (
                rule.probability >= 1.0
                or ids.unit_float("fault", seed, sequence, position) < rule.probability
            ):
                return rule.kind
        return None


def _number(raw: str, spec: str, what: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(_error(spec, f"{what} must be a number, got {raw!r}")) from None


def _apply_option(profile: FaultProfile, option: str, spec: str) -> FaultProfile:
    name, sep, value = option.partition("=")
    if not sep or name not in OPTIONS:
        raise ValueError(_error(spec, f"unknown option {option!r}"))
    number = _number(value, spec, name)
    if number < 0:
        raise ValueError(_error(spec, f"{name} must be >= 0"))
    if name == "slow_seconds":
        return replace(profile, slow_seconds=number)
    if name == "storm_length":
        return replace(profile, storm_length=int(number))
    if name == "storm_seconds":
        return replace(profile, storm_seconds=number)
    return replace(profile, retry_after=number)


def _error(spec: str, problem: str) -> str:
    return (
        f"invalid fault profile {spec!r}: {problem}. Use a named profile ({', '.join(NAMED)}) or a comma "
        f"list of kind=probability or kind@/route/prefix=probability with kinds: {', '.join(KINDS)}; "
        f"options: {', '.join(o + '=N' for o in OPTIONS)}"
    )

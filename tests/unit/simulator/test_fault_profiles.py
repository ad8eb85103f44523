from __future__ import annotations

import pytest

from wistia_simulator import FaultProfile
from wistia_simulator.faults import KINDS, FaultRule


def test_named_profiles() -> None:
    assert FaultProfile.parse("none").rules == ()
    assert FaultProfile.parse("").rules == ()
    mixed = FaultProfile.parse("mixed")
    assert {r.kind for r in mixed.rules} == set(KINDS)
    assert all(0 < r.probability < 0.05 for r in mixed.rules)
    assert FaultProfile.parse("mixed,slow_seconds=0.5").slow_seconds == 0.5


def test_rules_targets_and_options() -> None:
    profile = FaultProfile.parse(
        "http_500=0.2, slow@/stats/events=0.1:slow_seconds=2,storm_length=7,retry_after=4"
    )
    assert profile.rules == (
        FaultRule("http_500", 0.2, None),
        FaultRule("slow", 0.1, "/stats/events"),
    )
    assert (profile.slow_seconds, profile.storm_length, profile.retry_after) == (2.0, 7, 4.0)
    assert FaultProfile.parse("http_429@/v1/medias=1").rules[0].path_prefix == "/medias"
    assert FaultProfile.parse("http_429@medias=1").rules[0].path_prefix == "/medias"


@pytest.mark.parametrize(
    "spec", ["boom=1", "http_500", "http_500=lots", "http_500=1.5", "slow=0.1:speed=3", "slow_seconds=-1"]
)
def test_parse_errors_list_the_valid_kinds(spec: str) -> None:
    with pytest.raises(ValueError, match="rate_limit_storm, http_429, http_503, http_500, slow") as info:
        FaultProfile.parse(spec)
    assert "truncated_page" in str(info.value)


def test_decisions_are_deterministic_and_respect_probability() -> None:
    profile = FaultProfile.parse("http_500=0.25,http_429@/stats=0.5")
    first = [profile.decide(7, n, "/stats/events") for n in range(2000)]
    assert first == [profile.decide(7, n, "/stats/events") for n in range(2000)]
    assert first != [profile.decide(8, n, "/stats/events") for n in range(2000)]
    share_500 = first.count("http_500") / len(first)
    assert 0.2 < share_500 < 0.3
    assert 0.3 < first.count("http_429") / len(first) < 0.45  # 0.75 * 0.5
    others = [profile.decide(7, n, "/medias") for n in range(2000)]
    assert "http_429" not in others
    assert all(FaultProfile.parse("slow=1").decide(1, n, "/x") == "slow" for n in range(50))
    assert all(FaultProfile.parse("slow=0").decide(1, n, "/x") is None for n in range(50))

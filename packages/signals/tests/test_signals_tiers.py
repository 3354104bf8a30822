from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qgtm_signals import Tier, TierSchedule

instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))


@given(instants, st.sampled_from(list(Tier)))
def test_release_is_never_before_publication(published: datetime, tier: Tier) -> None:
    assert TierSchedule().release_at(tier, published) >= published


@given(instants)
def test_delayed_tier_waits_exactly_its_delay(published: datetime) -> None:
    schedule = TierSchedule(delay=timedelta(minutes=15))
    assert schedule.release_at(Tier.DELAYED, published) - published == timedelta(minutes=15)
    assert schedule.release_at(Tier.REALTIME, published) == published


@given(instants)
def test_end_of_day_is_a_weekday_cutoff_in_new_york(published: datetime) -> None:
    release = TierSchedule().release_at(Tier.END_OF_DAY, published).astimezone(ZoneInfo("America/New_York"))
    assert release.time() == time(16, 0)
    assert release.weekday() < 5
    assert release - published < timedelta(days=4)


def test_end_of_day_examples() -> None:
    schedule = TierSchedule()
    # Monday 2024-03-04 15:00 New York (20:00 UTC) -> same day 16:00 NY = 21:00 UTC
    assert schedule.release_at(Tier.END_OF_DAY, datetime(2024, 3, 4, 20, tzinfo=UTC)) == datetime(
        2024, 3, 4, 21, tzinfo=UTC
    )
    # Friday after the close -> Monday's cut-off
    assert schedule.release_at(Tier.END_OF_DAY, datetime(2024, 3, 8, 22, tzinfo=UTC)) == datetime(
        2024, 3, 11, 20, tzinfo=UTC
    )


def test_bad_schedule_and_naive_time_are_refused() -> None:
    with pytest.raises(ValueError, match="positive delay"):
        TierSchedule(delay=timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        TierSchedule().release_at(Tier.DELAYED, datetime(2024, 1, 1))

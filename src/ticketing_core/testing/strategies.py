"""Hypothesis strategies for the values of the sale domain."""

from __future__ import annotations

from hypothesis import strategies as st

from ticketing_core.changes import ChangeKind, SaleChange
from ticketing_core.clock import to_datetime
from ticketing_core.settings import EventSettings

USER_POOL = tuple(f"user-{n}" for n in range(8))


def event_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def user_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"\A[A-Za-z0-9_.:@-]{1,128}\Z")


def small_sale_settings(event_id: str, now_ms: int) -> st.SearchStrategy[EventSettings]:
    """Settings small enough that a few dozen steps sell out, fill the cap and run out of
    time: that is where the rules are tested."""
    return st.builds(
        EventSettings,
        event_id=st.just(event_id),
        name=st.just("harness sale"),
        total_seats=st.integers(1, 12),
        max_per_user=st.integers(1, 4),
        opens_at=st.integers(0, 4_000).map(lambda offset: to_datetime(now_ms + offset)),
        admission_rate_per_second=st.integers(1, 4),
        max_active_users=st.integers(1, 5),
        admission_ttl_seconds=st.integers(1, 12),
        hold_ttl_seconds=st.integers(1, 12),
        presence_timeout_seconds=st.sampled_from([0, 1, 2, 5]),
        draw_at_opening=st.booleans(),
        draw_seed=st.just("5eed" * 16),
    )


def clock_steps() -> st.SearchStrategy[int]:
    """Milliseconds to move the clock: often a little, sometimes past every TTL."""
    return st.one_of(
        st.integers(0, 400),
        st.integers(400, 3_000),
        st.sampled_from([999, 1_000, 1_001, 5_000, 12_000]),
    )


def sale_changes() -> st.SearchStrategy[SaleChange]:
    """An operator's changes, small enough for a harness sale; closing (final) is rare."""
    settings = st.fixed_dictionaries(
        {},
        optional={
            "admission_rate_per_second": st.integers(1, 4),
            "max_active_users": st.integers(1, 5),
            "admission_ttl_seconds": st.integers(1, 12),
            "hold_ttl_seconds": st.integers(1, 12),
            "presence_timeout_seconds": st.sampled_from([0, 1, 5]),
            "entry_work_bits": st.sampled_from([0, 8]),
            "name": st.just("renamed sale"),
        },
    )
    return st.one_of(
        st.sampled_from([ChangeKind.PAUSE, ChangeKind.RESUME]).map(SaleChange.of_state),
        st.integers(-6, 6).map(SaleChange.of_seats),
        settings.map(SaleChange.of_settings),
        st.just(SaleChange.of_state(ChangeKind.CLOSE)),
    )

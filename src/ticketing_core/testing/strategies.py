"""Hypothesis strategies for the values of the sale domain."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ticketing_core.changes import ChangeKind, SaleChange
from ticketing_core.clock import to_datetime
from ticketing_core.settings import EventSettings, Presale, SeatCategory

USER_POOL = tuple(f"user-{n}" for n in range(8))


def event_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def user_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"\A[A-Za-z0-9_.:@-]{1,128}\Z")


CATEGORY_POOL = ("floor", "stands", "vip")


def small_categories() -> st.SearchStrategy[tuple[SeatCategory, ...]]:
    """One to three categories of a few seats each (one may have none), with their limits."""
    return st.lists(
        st.builds(
            SeatCategory,
            category_id=st.sampled_from(CATEGORY_POOL),
            name=st.just("a category"),
            seats=st.integers(0, 6),
            max_per_user=st.integers(1, 3),
            price=st.one_of(st.none(), st.integers(0, 10_000)),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda c: c.category_id,
    ).map(
        # A sale has at least one seat.
        lambda cs: (
            tuple(cs)
            if sum(c.seats for c in cs)
            else (cs[0].model_copy(update={"seats": 1}), *cs[1:])
        )
    )


def small_sale_settings(event_id: str, now_ms: int) -> st.SearchStrategy[EventSettings]:
    """Settings small enough that a few dozen steps sell out, fill the cap and run out of
    time: that is where the rules are tested. Half of the sales have seat categories."""
    return st.one_of(
        _small_sale_settings(event_id, now_ms, st.integers(1, 12), st.none()),
        small_categories().flatmap(
            lambda cs: _small_sale_settings(
                event_id, now_ms, st.just(sum(c.seats for c in cs)), st.just(cs), max_per_user=6
            )
        ),
    )


def _small_sale_settings(
    event_id: str,
    now_ms: int,
    total_seats: st.SearchStrategy[int],
    categories: st.SearchStrategy[tuple[SeatCategory, ...] | None],
    max_per_user: int = 4,
) -> st.SearchStrategy[EventSettings]:
    """A third of the sales have a presale, some time in the first seconds (it closes by the
    opening); those draw no pre-queue."""

    def settings(opening: int, presale: tuple[int, int] | None, **fields: Any) -> EventSettings:
        if presale is not None:
            fields["draw_at_opening"] = False
        later = sum(presale) if presale else 0
        return EventSettings(
            **fields,
            opens_at=to_datetime(now_ms + opening + later),
            presale=_presale(now_ms, opening, presale),
        )

    return st.builds(
        settings,
        st.integers(0, 4_000),
        st.one_of(st.none(), st.none(), st.tuples(st.integers(1, 3_000), st.integers(0, 2_000))),
        event_id=st.just(event_id),
        name=st.just("harness sale"),
        total_seats=total_seats,
        categories=categories,
        max_per_user=st.integers(1, max_per_user),
        admission_rate_per_second=st.integers(1, 4),
        max_active_users=st.integers(1, 5),
        admission_ttl_seconds=st.integers(1, 12),
        hold_ttl_seconds=st.integers(1, 12),
        presence_timeout_seconds=st.sampled_from([0, 1, 2, 5]),
        draw_at_opening=st.booleans(),
        draw_seed=st.just("5eed" * 16),
    )


def _presale(now_ms: int, opening: int, presale: tuple[int, int] | None) -> Presale | None:
    """``presale``: how long it lasts and how long after it the sale opens (ms); it opens
    ``opening`` ms from now."""
    if presale is None:
        return None
    lasts, _ = presale
    return Presale(
        opens_at=to_datetime(now_ms + opening), closes_at=to_datetime(now_ms + opening + lasts)
    )


CODE_POOL = ("code-aaaa", "code-bbbb", "code-cccc")
"""Access codes the harness issues and brings (and one it never issues)."""


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
        # The category is the machine's to pick, from the sale's (some of them not).
        st.builds(
            SaleChange.of_seats,
            st.integers(-6, 6),
            st.one_of(st.none(), st.sampled_from((*CATEGORY_POOL, "balcony"))),
        ),
        settings.map(SaleChange.of_settings),
        st.just(SaleChange.of_state(ChangeKind.CLOSE)),
    )

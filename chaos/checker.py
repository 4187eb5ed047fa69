"""Judges a campaign's record alone: each invariant held, or broken with examples."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from chaos.history import History, Op, Row

EXAMPLES = 3
ACTIVE = ("PENDING", "CONFIRMED")


@dataclass(frozen=True, slots=True)
class Verdict:
    invariant: str
    held: bool
    detail: str


def check(history: History) -> list[Verdict]:
    return [
        _no_500(history.ops),
        _answered_in_time(history.ops),
        _acknowledged_holds_persisted(history),
        _no_seat_sold_twice(history),
        _seats_add_up(history),
        _admissions_in_order(history.ops),
    ]


def _verdict(invariant: str, broken: list[str], held_detail: str) -> Verdict:
    if broken:
        shown = "; ".join(broken[:EXAMPLES])
        return Verdict(invariant, False, f"{len(broken)} broken: {shown}")
    return Verdict(invariant, True, held_detail)


def _no_500(ops: list[Op]) -> Verdict:
    broken = [
        f"{op.kind} by {op.user} answered {op.status}"
        for op in ops
        if op.status is not None and op.status >= 500 and op.status != 503
    ]
    return _verdict("no 500", broken, f"{len(ops)} requests")


def _answered_in_time(ops: list[Op]) -> Verdict:
    broken = [f"{op.kind} by {op.user}" for op in ops if op.error == "timeout"]
    return _verdict("every request answered or refused in time", broken, f"{len(ops)} requests")


def _acknowledged_holds_persisted(history: History) -> Verdict:
    """Every hold answered 202 is in PostgreSQL once, with the status last acknowledged: an
    acknowledged PENDING may have expired since; a confirm or cancel not answered (or 503)
    may or may not have happened."""
    rows: dict[str, list[Row]] = defaultdict(list)
    for row in history.rows:
        rows[row.reservation_id].append(row)
    last: dict[str, str] = {}
    maybe: dict[str, set[str]] = defaultdict(set)
    for op in sorted(history.ops, key=lambda op: op.ended):
        if op.reservation_id is None:
            continue
        if op.kind == "reserve" and op.status == 202:
            last[op.reservation_id] = "PENDING"
        elif op.kind in ("confirm", "cancel"):
            moved = "CONFIRMED" if op.kind == "confirm" else "CANCELLED"
            if op.status == 200:
                last[op.reservation_id] = moved
            elif op.status is None or op.status == 503:
                maybe[op.reservation_id].add(moved)
    broken = []
    for id_, status in last.items():
        found = rows.get(id_, [])
        if len(found) != 1:
            broken.append(f"hold {id_} ({status}) stored {len(found)} times")
            continue
        allowed = {status, *maybe[id_]}
        if "PENDING" in allowed:
            allowed.add("EXPIRED")
        if found[0].status not in allowed:
            broken.append(f"hold {id_} acknowledged {status}, stored {found[0].status}")
    return _verdict("every acknowledged hold persisted once", broken, f"{len(last)} holds")


def _no_seat_sold_twice(history: History) -> Verdict:
    broken = [f"reservation {id_} stored {n} times" for id_, n in _counts(history.rows) if n > 1]
    for sale in history.sales:
        active = [r for r in history.rows if r.event_id == sale.event_id and r.status in ACTIVE]
        taken = sum(r.quantity for r in active)
        if taken > sale.total_seats:
            broken.append(f"{sale.event_id}: {taken} seats held of {sale.total_seats}")
        per_user = Counter[str]()
        for row in active:
            per_user[row.user] += row.quantity
        broken += [
            f"{sale.event_id}: {user} holds {n} (limit {sale.max_per_user})"
            for user, n in per_user.items()
            if n > sale.max_per_user
        ]
    return _verdict("no seat sold twice", broken, f"{len(history.rows)} rows")


def _counts(rows: list[Row]) -> list[tuple[str, int]]:
    return list(Counter(row.reservation_id for row in rows).items())


def _seats_add_up(history: History) -> Verdict:
    broken = []
    for sale in history.sales:
        in_redis = sale.remaining + sale.pending + sale.confirmed
        if in_redis != sale.total_seats or sale.remaining < 0:
            broken.append(f"{sale.event_id}: Redis {in_redis} of {sale.total_seats}")
        rows = [r for r in history.rows if r.event_id == sale.event_id]
        pending = sum(r.quantity for r in rows if r.status == "PENDING")
        confirmed = sum(r.quantity for r in rows if r.status == "CONFIRMED")
        if (pending, confirmed) != (sale.pending, sale.confirmed):
            broken.append(
                f"{sale.event_id}: PostgreSQL pending {pending} confirmed {confirmed}, "
                f"Redis {sale.pending} / {sale.confirmed}"
            )
    return _verdict(
        "remaining + pending + confirmed == total (Redis, PostgreSQL)",
        broken,
        f"{len(history.sales)} sales",
    )


Key = tuple[str, str]
"""(event id, user)"""


def _admissions_in_order(ops: list[Op]) -> Verdict:
    """FIFO of first entry, minus those who left: if A's first entry was answered before B's
    began, no read may find A still waiting after a read (answered earlier) found B admitted."""
    entered = _first_entries(ops)
    first_admitted, last_waiting = _reads(ops, entered)
    broken = []
    by_event: dict[str, list[Key]] = defaultdict(list)
    for key in entered:
        by_event[key[0]].append(key)
    for keys in by_event.values():
        keys.sort(key=lambda key: entered[key].ended)
        for later in keys:
            admitted_at = first_admitted.get(later)
            if admitted_at is None:
                continue
            for earlier in keys:
                if entered[earlier].ended >= entered[later].started:
                    break
                if last_waiting.get(earlier, float("-inf")) > admitted_at:
                    broken.append(f"{later[1]} admitted while {earlier[1]}, ahead, still waited")
    return _verdict("admissions in order of first entry", broken, f"{len(entered)} entries")


def _first_entries(ops: list[Op]) -> dict[Key, Op]:
    """Each user's first answered entry, of users who never tried to leave (a leave answered
    or not may have happened: such users are not judged)."""
    entered: dict[Key, Op] = {}
    left: set[Key] = set()
    for op in sorted(ops, key=lambda op: op.started):
        key = (op.event_id, op.user)
        if op.kind == "enter" and op.status == 200:
            entered.setdefault(key, op)
        elif op.kind == "leave":
            left.add(key)
    return {key: op for key, op in entered.items() if key not in left}


def _reads(ops: list[Op], entered: dict[Key, Op]) -> tuple[dict[Key, float], dict[Key, float]]:
    """Per user: when a read first answered ADMITTED (its end), and when the last read that
    answered WAITING began."""
    first_admitted: dict[Key, float] = {}
    last_waiting: dict[Key, float] = {}
    for op in ops:
        key = (op.event_id, op.user)
        if op.kind != "status" or op.status != 200 or key not in entered:
            continue
        if op.queue_status == "ADMITTED":
            first_admitted[key] = min(op.ended, first_admitted.get(key, op.ended))
        elif op.queue_status == "WAITING":
            last_waiting[key] = max(op.started, last_waiting.get(key, op.started))
    return first_admitted, last_waiting

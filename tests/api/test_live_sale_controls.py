"""An operator runs a live sale: changes its settings, pauses and resumes admissions, closes it,
puts seats on sale or withdraws unsold ones (issue 14, items 1-4). On the memory and the Redis
backend (``tests/api/conftest.py``); time is the test's clock, ticks are by hand."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.support import EVENTS, Sale, Stream, assert_problem, finished, sse_messages
from tests.support.http import ADMIN
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

WITHIN = 30
"""Seconds a stream gets to send a message: generous, it is only spent when one never comes."""


async def operate(
    client: httpx.AsyncClient, event_id: str, action: str, body: Any = None
) -> httpx.Response:
    path = f"{EVENTS}/{event_id}" + ("" if action == "patch" else f"/{action}")
    if action == "patch":
        return await client.patch(path, json=body, headers=ADMIN)
    return await client.post(path, json=body, headers=ADMIN)


async def done(client: httpx.AsyncClient, event_id: str, action: str, body: Any = None) -> Any:
    response = await operate(client, event_id, action, body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_new_rate_governs_the_admissions_after_the_change(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=100, admissionRatePerSecond=2)
    tokens = [(await sale.enter(show, f"buyer-{n}"))["token"] for n in range(12)]
    await sale.tick(show)
    assert [(await sale.status(t))["status"] for t in tokens].count("ADMITTED") == 2

    changed = await done(sale.client, show, "patch", {"admissionRatePerSecond": 5})
    assert changed["admissionRatePerSecond"] == 5
    assert changed["name"] == "Flash sale"
    # Estimates follow the new rate at once: the 10th waiting buyer is 2 s away at 5/s.
    assert (await sale.status(tokens[-1]))["estimatedWaitSeconds"] == 2

    sale.clock.advance(1_000)
    await sale.tick(show)
    statuses = [(await sale.status(t))["status"] for t in tokens]
    assert statuses == ["ADMITTED"] * 7 + ["WAITING"] * 5, "five more in the next second"
    assert (await sale.event(show))["admissionRatePerSecond"] == 5


async def test_a_change_is_checked_like_a_new_sale(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show)
    bodies: list[Any] = [
        {"totalSeats": 5},
        {"state": "CLOSED", "name": "x"},
        {"maxActiveUsers": 0},
        {"holdTtlSeconds": "9"},
        [],
    ]
    for body in bodies:
        assert_problem(await operate(sale.client, show, "patch", body), 400, "validation_error")
    assert_problem(
        await sale.client.patch(f"{EVENTS}/{show}", json={"name": "x"}), 401, "unauthorized"
    )
    assert_problem(await operate(sale.client, "no-such-sale", "pause"), 404, "event_not_found")
    assert (await sale.event(show))["maxActiveUsers"] == 5_000
    unchanged = await done(sale.client, show, "patch", {})
    assert unchanged == await sale.event(show), "naming no setting changes nothing"


async def test_a_paused_sale_admits_nobody_and_resumes_in_order_of_entry(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=100, admissionRatePerSecond=1)
    ann = (await sale.admitted(show, "ann"))["ann"]
    waiting = [(await sale.enter(show, f"w-{n}"))["token"] for n in range(3)]

    paused = await done(sale.client, show, "pause")
    assert paused["state"] == "PAUSED"
    assert (await done(sale.client, show, "pause"))["state"] == "PAUSED", "pausing again: same"
    for _ in range(3):
        sale.clock.advance(1_000)
        await sale.tick(show)
    first = await sale.status(waiting[0])
    assert (first["status"], first["position"], first["paused"]) == ("WAITING", 1, True)
    assert first["estimatedWaitSeconds"] is None, "no made-up estimate while paused"
    # The admitted buyer goes on buying during the pause.
    assert (await sale.reserve(ann, show)).status_code == 202

    assert (await done(sale.client, show, "resume"))["state"] == "OPEN"
    order = []
    for _ in range(3):
        sale.clock.advance(1_000)
        await sale.tick(show)
        order.append([(await sale.status(t))["status"] for t in waiting].count("ADMITTED"))
    assert order == [1, 2, 3], "one a second, in order of entry"
    assert (await sale.status(waiting[2]))["paused"] is False


async def test_the_stream_says_paused_and_resumed(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=100, maxActiveUsers=1)
    await sale.admitted(show, "first")
    token = (await sale.enter(show, "second"))["token"]
    stream = Stream(sale, token)

    async def sent(event: str) -> None:
        await eventually(
            lambda: event in [sent for sent, _, _ in stream.sent()],
            within=WITHIN,
            what=f"the stream sent {event}",
        )

    await sent("position")
    await done(sale.client, show, "pause")
    await sent("paused")
    await done(sale.client, show, "resume")
    await sent("resumed")
    await done(sale.client, show, "close")
    messages = sse_messages((await finished(stream)).text)
    shown = [
        (event, data.get("position"), data.get("estimatedWaitSeconds"))
        for event, data, _ in messages
    ]
    assert shown == [
        ("position", 1, 300),  # the one admitted frees their slot in at most 300 s
        ("paused", None, None),
        ("position", 1, None),  # no estimate while paused
        ("resumed", None, None),
        ("position", 1, 300),
        ("closed", None, None),
    ]


async def test_a_closed_sale_takes_no_entry_and_no_reserve_but_keeps_its_holds(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=10, maxActiveUsers=2, holdTtlSeconds=60)
    tokens = await sale.admitted(show, "holder", "late")
    hold = await sale.hold(tokens["holder"], show)
    waiter = (await sale.enter(show, "waiter"))["token"]

    closed = await done(sale.client, show, "close")
    assert closed["state"] == "CLOSED"
    assert (await done(sale.client, show, "close"))["state"] == "CLOSED", "closing again: same"

    assert_problem(
        await sale.client.post("/api/v1/queue/enter", json={"eventId": show, "userId": "newcomer"}),
        409,
        "sale_closed",
    )
    assert_problem(await sale.reserve(tokens["late"], show), 409, "sale_closed")
    waiting = await sale.status(waiter)
    assert (waiting["status"], waiting["position"]) == ("CLOSED", 0)
    confirmed = await sale.client.post(
        f"/api/v1/tickets/{hold['reservationId']}/confirm",
        headers={"X-Queue-Token": tokens["holder"]},
    )
    assert confirmed.status_code == 200, confirmed.text
    for action, body in (
        ("pause", None),
        ("resume", None),
        ("patch", {"name": "again"}),
        ("seats", {"delta": 1}),
    ):
        assert_problem(await operate(sale.client, show, action, body), 409, "sale_closed")
    assert (await sale.event(show))["stats"]["confirmedSeats"] == 1


async def test_seats_added_to_a_sold_out_sale_admit_the_next_buyer(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=1, holdTtlSeconds=60)
    buyer = (await sale.admitted(show, "buyer"))["buyer"]
    hold = await sale.hold(buyer, show)
    await sale.client.post(
        f"/api/v1/tickets/{hold['reservationId']}/confirm", headers={"X-Queue-Token": buyer}
    )
    assert_problem(
        await sale.client.post("/api/v1/queue/enter", json={"eventId": show, "userId": "next"}),
        409,
        "sold_out",
    )

    more = await done(sale.client, show, "seats", {"delta": 2})
    assert more["totalSeats"] == 3
    stats = more["stats"]
    assert (stats["remainingSeats"], stats["confirmedSeats"]) == (2, 1)
    following = await sale.admitted(show, "next")
    assert (await sale.reserve(following["next"], show)).status_code == 202


async def test_only_unsold_seats_can_be_withdrawn(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=4, maxPerUser=2, holdTtlSeconds=60)
    buyer = (await sale.admitted(show, "buyer"))["buyer"]
    await sale.hold(buyer, show, 2)

    refused = await operate(sale.client, show, "seats", {"delta": -3})
    assert_problem(refused, 409, "insufficient_seats")
    for body in ({"delta": "1"}, {"seats": 1}, {"delta": 10**8}):
        assert_problem(await operate(sale.client, show, "seats", body), 400, "validation_error")
    fewer = await done(sale.client, show, "seats", {"delta": -2})
    stats = fewer["stats"]
    assert (fewer["totalSeats"], stats["remainingSeats"], stats["pendingSeats"]) == (2, 0, 2)


async def test_every_change_is_recorded_with_who_asked_and_listed_oldest_first(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    ada = {**ADMIN, "X-Operator": "Ada Lovelace"}
    assert (await sale.client.post(f"{EVENTS}/{show}/pause", headers=ada)).status_code == 200
    await done(sale.client, show, "pause")  # paused already: no change, nothing recorded
    await done(sale.client, show, "resume")
    await done(sale.client, show, "patch", {"admissionRatePerSecond": 7, "name": "Encore"})
    await done(sale.client, show, "seats", {"delta": 5})
    await done(sale.client, show, "seats", {"delta": -2})
    await done(sale.client, show, "close")
    await sale.relay(show)

    listed = await sale.client.get(f"{EVENTS}/{show}/changes", headers=ADMIN)
    assert listed.status_code == 200, listed.text
    changes = listed.json()
    key_id = changes[1]["actor"].removeprefix("key ")
    assert [(c["version"], c["kind"], c["detail"]) for c in changes] == [
        (1, "pause", {}),
        (2, "resume", {}),
        (3, "settings", {"admissionRatePerSecond": 7, "name": "Encore"}),
        (4, "seats", {"delta": 5}),
        (5, "seats", {"delta": -2}),
        (6, "close", {}),
    ]
    assert changes[0]["actor"] == f"Ada Lovelace (key {key_id})"
    assert {c["actor"] for c in changes[1:]} == {f"key {key_id}"}
    assert len(key_id) == 8
    assert key_id not in ADMIN["Authorization"], "the id reveals nothing of the key"
    assert [(c["state"], c["totalSeats"]) for c in changes] == [
        ("PAUSED", 10), ("OPEN", 10), ("OPEN", 10), ("OPEN", 15), ("OPEN", 13), ("CLOSED", 13)
    ]  # fmt: skip
    times = [c["occurredAt"] for c in changes]
    assert times == sorted(times)


async def test_the_record_of_changes_is_for_operators_and_names_a_real_sale(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show)
    assert_problem(await sale.client.get(f"{EVENTS}/{show}/changes"), 401, "unauthorized")
    assert_problem(
        await sale.client.get(f"{EVENTS}/no-such-sale/changes", headers=ADMIN),
        404,
        "event_not_found",
    )
    for name in ("x" * 101, "", "tab\there"):
        refused = await sale.client.post(
            f"{EVENTS}/{show}/pause", headers={**ADMIN, "X-Operator": name}
        )
        assert_problem(refused, 400, "validation_error")
    assert (await sale.event(show))["state"] == "OPEN", "a refused change changes nothing"


async def test_an_operator_can_check_a_key_before_using_it(sale: Sale) -> None:
    who = await sale.client.get("/api/v1/operator", headers={**ADMIN, "X-Operator": "Ada"})
    assert who.status_code == 200, who.text
    assert who.json()["actor"].startswith("Ada (key ")
    wrong = {"Authorization": "Bearer not-the-key"}
    assert_problem(await sale.client.get("/api/v1/operator", headers=wrong), 401, "unauthorized")

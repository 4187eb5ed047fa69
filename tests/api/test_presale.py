"""A presale over HTTP, on both backends: only buyers with an access code enter before it
closes, each code lets in exactly its uses however many try at once, and its line is served
before the general one."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from tests.api.support import Sale, assert_problem
from tests.support.http import ADMIN, queue_token
from ticketing_core.clock import to_datetime

pytestmark = pytest.mark.anyio

PRESALE_OPENS_IN = 60_000
PRESALE_LASTS = 60_000
GAP_TO_OPENING = 60_000


async def presale_sale(sale: Sale, event_id: str, **fields: Any) -> dict[str, Any]:
    now = sale.clock.now_ms()
    presale_opens = now + PRESALE_OPENS_IN
    presale_closes = presale_opens + PRESALE_LASTS
    body = {
        "eventId": event_id,
        "name": "Fan-club presale",
        "totalSeats": 20,
        "opensAt": to_datetime(presale_closes + GAP_TO_OPENING).isoformat(),
        "presale": {
            "opensAt": to_datetime(presale_opens).isoformat(),
            "closesAt": to_datetime(presale_closes).isoformat(),
        },
        **fields,
    }
    body = {name: value for name, value in body.items() if value is not None}  # None: left out
    response = await sale.client.post("/api/v1/events", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


async def issue(sale: Sale, event_id: str, **body: Any) -> Any:
    return await sale.client.post(f"/api/v1/events/{event_id}/codes", json=body, headers=ADMIN)


async def enter(sale: Sale, event_id: str, user: str, code: str | None = None) -> Any:
    body = {"eventId": event_id, "userId": user}
    if code is not None:
        body["accessCode"] = code
    return await sale.client.post("/api/v1/queue/enter", json=body)


async def test_the_presale_takes_entries_with_a_code_only(sale: Sale, show: str) -> None:
    event = await presale_sale(sale, show)
    assert set(event["presale"]) == {"opensAt", "closesAt"}
    codes = (await issue(sale, show, count=1, maxUses=2)).json()["codes"]
    code = codes[0]["code"]

    assert_problem(await enter(sale, show, "ann"), 403, "code_required")
    assert_problem(await enter(sale, show, "ann", "not-a-real-code"), 403, "invalid_code")
    assert (await enter(sale, show, "ann", code)).status_code == 200
    assert (await enter(sale, show, "ann", code)).status_code == 200, "her place: no new use"
    assert (await enter(sale, show, "bob", code)).status_code == 200
    assert_problem(await enter(sale, show, "cy", code), 403, "invalid_code")

    listed = (await sale.client.get(f"/api/v1/events/{show}/codes", headers=ADMIN)).json()
    assert listed == [{"codeId": codes[0]["codeId"], "maxUses": 2, "uses": 2}]
    assert code not in str(listed), "the listing never shows a code"


async def test_a_code_lets_in_exactly_its_uses_however_many_try_at_once(
    sale: Sale, show: str
) -> None:
    await presale_sale(sale, show)
    code = (await issue(sale, show, codes=["fanclub-2026-spring"], maxUses=5)).json()["codes"][0]

    answers = await asyncio.gather(
        *(enter(sale, show, f"fan-{n}", code["code"]) for n in range(30))
    )

    outcomes = Counter(r.status_code if r.status_code == 200 else r.json()["code"] for r in answers)
    assert outcomes == {200: 5, "invalid_code": 25}
    listed = (await sale.client.get(f"/api/v1/events/{show}/codes", headers=ADMIN)).json()
    assert [c["uses"] for c in listed] == [5]


async def test_the_presale_line_is_admitted_before_the_general_line(sale: Sale, show: str) -> None:
    await presale_sale(sale, show, admissionRatePerSecond=2, maxPerUser=1)
    code = (await issue(sale, show, count=1, maxUses=10)).json()["codes"][0]["code"]
    fans = {f"fan-{n}": (await enter(sale, show, f"fan-{n}", code)).json() for n in range(4)}
    sale.clock.advance(PRESALE_OPENS_IN)

    await sale.tick(show)  # the presale opens: the bucket lets two in
    admitted = [
        u for u, t in fans.items() if (await sale.status(t["token"]))["status"] == "ADMITTED"
    ]
    assert admitted == ["fan-0", "fan-1"]

    sale.clock.advance(PRESALE_LASTS)  # the presale closes: general entries, no more codes
    assert_problem(await enter(sale, show, "late-fan", code), 403, "invalid_code")
    general = {f"buyer-{n}": (await enter(sale, show, f"buyer-{n}")).json() for n in range(2)}
    await sale.tick(show)
    assert (await sale.status(fans["fan-2"]["token"]))["status"] == "WAITING", (
        "nobody is admitted between the presale and the opening"
    )
    assert [(await sale.status(t["token"]))["position"] for t in general.values()] == [3, 4]

    sale.clock.advance(GAP_TO_OPENING)
    await sale.tick(show)
    assert [(await sale.status(fans[f]["token"]))["status"] for f in ("fan-2", "fan-3")] == [
        "ADMITTED",
        "ADMITTED",
    ]
    assert [(await sale.status(t["token"]))["status"] for t in general.values()] == [
        "WAITING",
        "WAITING",
    ]
    sale.clock.advance(1_000)
    await sale.tick(show)
    assert [(await sale.status(t["token"]))["status"] for t in general.values()] == [
        "ADMITTED",
        "ADMITTED",
    ]


async def test_a_code_for_some_categories_holds_seats_of_those_only(sale: Sale, show: str) -> None:
    tiers = [
        {"categoryId": "floor", "name": "Floor", "seats": 5, "maxPerUser": 2},
        {"categoryId": "vip", "name": "VIP", "seats": 5, "maxPerUser": 2},
    ]
    await presale_sale(sale, show, categories=tiers, totalSeats=None)
    code = (await issue(sale, show, count=1, maxUses=1, categories=["vip"])).json()["codes"][0]
    token = (await enter(sale, show, "ann", code["code"])).json()["token"]
    sale.clock.advance(PRESALE_OPENS_IN)
    await sale.tick(show)

    floor = await sale.client.post(
        "/api/v1/tickets/reserve",
        json={"eventId": show, "categoryId": "floor", "quantity": 1},
        headers=queue_token(token),
    )
    vip = await sale.client.post(
        "/api/v1/tickets/reserve",
        json={"eventId": show, "categoryId": "vip", "quantity": 1},
        headers=queue_token(token),
    )

    assert "vip" in assert_problem(floor, 403, "invalid_code")["detail"]
    assert vip.status_code == 202, vip.text
    assert code["categories"] == ["vip"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"maxUses": 1}, "count"),
        ({"maxUses": 1, "count": 1, "codes": ["abcdefgh"]}, "count"),
        ({"maxUses": 1, "codes": ["abcdefgh", "abcdefgh"]}, "once"),
        ({"maxUses": 1, "count": 1, "categories": ["vip"]}, "categor"),
    ],
)
async def test_codes_are_refused_when_malformed(
    sale: Sale, show: str, body: dict[str, Any], reason: str
) -> None:
    await presale_sale(sale, show)

    response = await issue(sale, show, **body)

    assert reason in assert_problem(response, 400, "validation_error")["detail"]


async def test_a_code_issued_twice_is_refused_and_a_sale_without_presale_takes_none(
    sale: Sale, show: str
) -> None:
    await presale_sale(sale, show)
    assert (await issue(sale, show, codes=["abcdefgh"], maxUses=1)).status_code == 201

    assert_problem(
        await issue(sale, show, codes=["zzzzzzzz", "abcdefgh"], maxUses=1), 409, "code_exists"
    )
    listed = (await sale.client.get(f"/api/v1/events/{show}/codes", headers=ADMIN)).json()
    assert len(listed) == 1, "none of a refused batch is issued"
    await sale.create_event(eventId=f"{show}-plain")
    plain = await issue(sale, f"{show}-plain", count=1, maxUses=1)
    assert "no presale" in assert_problem(plain, 400, "validation_error")["detail"]
    assert_problem(await enter(sale, f"{show}-plain", "ann", "abcdefgh"), 403, "invalid_code")

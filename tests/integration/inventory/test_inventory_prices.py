"""Issue 24 in inventory, on real PostgreSQL: the price table (价格表) as CSV and Excel equal to the unit list, and
price adjustments (调价) by list and by percent — all or nothing against the filed floor (R21), held and sold units
skipped, each change kept (R35) and announced per unit, shown on the board and its stream, and a quote made before
it outdated."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from decimal import Decimal

import openpyxl
import orjson
import pytest

from services.inventory.feed import feed_of
from services.inventory.store import board
from shared.http.exports import XLSX
from shared.messaging import topics
from tests.support.auth import auth
from tests.support.inventory import deposit, hold, in_days, known_customer, new_project, verified

DEADLINE = 10.0
FIELDS = ["building", "number", "floor", "layout", "area_m2", "list_price", "status"]


async def _prices(inventory, settings, pid: str) -> dict[str, str]:
    units = (await inventory.client.get(f"/v1/projects/{pid}/units", headers=auth(settings, "manager", pid))).json()
    return {u["id"]: u["list_price"] for u in units}


async def _adjust(inventory, settings, pid: str, body: dict, role: str = "sales_control"):
    return await inventory.client.post(
        f"/v1/projects/{pid}/price-adjustments", json=body, headers=auth(settings, role, pid)
    )


async def _events(inventory, pid: str) -> list[dict]:
    """The project's prices-changed events in the outbox, in order."""
    async with inventory.pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", topics.PRICES_CHANGED.name)
    envelopes = [orjson.loads(bytes(r["payload"])) for r in rows]
    return [e["data"] for e in envelopes if e["project_id"] == pid]


async def _held_and_sold(inventory, settings, pid: str, units: list[dict]) -> tuple[str, str]:
    """The first unit held, the second reserved by a verified deposit (sold)."""
    customer = await known_customer(inventory, pid)
    held, sold = units[0]["id"], units[1]["id"]
    await hold(inventory, settings, pid, held, customer)
    await verified(inventory, pid, deposit(sold, await hold(inventory, settings, pid, sold, customer), customer))
    return held, sold


async def test_the_price_table_as_csv_and_excel_equals_the_json_list(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=3)
    admin = auth(settings, "admin", pid)
    row = {"building": "B2", "number": "=1+1", "floor": 2, "layout": "@SUM(A1)", "area_m2": "95.55"}
    row |= {"list_price": "2345678.90", "floor_price": "2000000.00"}
    assert (await inventory.client.post(f"/v1/projects/{pid}/units", json=[row], headers=admin)).status_code == 201
    staff = auth(settings, "consultant", pid)
    listed = (await inventory.client.get(f"/v1/projects/{pid}/units", params={"limit": 500}, headers=staff)).json()
    wanted = [[str(u[f]) for f in FIELDS] for u in listed]

    r = await inventory.client.get(f"/v1/projects/{pid}/units", headers=staff | {"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(r.text)))
    assert lines[0] == FIELDS
    assert [[c.removeprefix("'") if c[:2] in ("'=", "'@") else c for c in line] for line in lines[1:]] == wanted
    assert [lines[-1][1], lines[-1][3]] == ["'=1+1", "'@SUM(A1)"]  # a formula never runs (issue 19's rule)

    r = await inventory.client.get(f"/v1/projects/{pid}/units", headers=staff | {"Accept": XLSX})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    cells = list(sheet.iter_rows())
    assert [c.value for c in cells[0]] == FIELDS and all(c.data_type != "f" for row in cells for c in row)
    got = [[_cell_text(c.value, f) for c, f in zip(row, FIELDS, strict=True)] for row in cells[1:]]
    assert got == wanted  # text cells hold the text itself: `=1+1` is the text it is in the JSON, never a formula
    filtered = await inventory.client.get(
        f"/v1/projects/{pid}/units", params={"building": "B2"}, headers=staff | {"Accept": "text/csv"}
    )
    assert len(list(csv.reader(io.StringIO(filtered.text)))) == 2  # the filters apply: the header and B2's unit


def _cell_text(value: object, field: str) -> str:
    """An Excel cell as the JSON writes it: money and areas with two places, the floor a whole number."""
    if field in ("area_m2", "list_price"):
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    return str(int(value)) if field == "floor" else str(value)


async def test_adjustments_by_list_and_by_percent_skip_held_and_sold_units_and_are_kept(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=5)
    held, sold = await _held_and_sold(inventory, settings, pid, units)
    free = [u["id"] for u in units[2:]]
    body = {"reason": "开盘前调价", "units": [{"unit_id": u, "list_price": "1050000.00"} for u in (held, *free[:2])]}
    r = await _adjust(inventory, settings, pid, body)
    assert r.status_code == 201, r.text
    by_list = r.json()
    assert set(by_list["changed"]) == set(free[:2]) and by_list["skipped"] == [held]

    r = await _adjust(inventory, settings, pid, {"reason": "去化加速", "building": "B1", "percent": "-3.5"}, "manager")
    assert r.status_code == 201, r.text
    by_percent = r.json()
    assert set(by_percent["changed"]) == set(free) and set(by_percent["skipped"]) == {held, sold}
    prices = await _prices(inventory, settings, pid)
    assert [prices[u] for u in free] == ["1013250.00", "1013250.00", "965000.00"]  # half up to the fen
    assert prices[held] == prices[sold] == "1000000.00"

    events = await _events(inventory, pid)
    assert len(events) == 5 and {e["adjustment_id"] for e in events} == {by_list["id"], by_percent["id"]}
    last = next(e for e in events if e["unit_id"] == free[2] and e["adjustment_id"] == by_percent["id"])
    assert (last["old_price"], last["new_price"], last["reason"]) == ("1000000.00", "965000.00", "去化加速")

    history = (
        await inventory.client.get(f"/v1/projects/{pid}/price-adjustments", headers=auth(settings, "finance", pid))
    ).json()
    assert [a["id"] for a in history] == [by_list["id"], by_percent["id"]]
    assert history[0]["made_by"] == "sales_control-1" and history[0]["reason"] == "开盘前调价"
    assert history[1]["percent"] == "-3.5" and history[1]["building"] == "B1" and history[1]["made_at"]
    assert {(c["unit_id"], c["old_price"], c["new_price"]) for c in history[1]["changes"]} >= {
        (free[0], "1050000.00", "1013250.00")
    }


async def test_an_adjustment_below_the_filed_floor_changes_nothing_and_names_every_unit_r21(
    inventory, settings
) -> None:
    pid, units = await new_project(inventory, settings, units=3)
    before = await _prices(inventory, settings, pid)
    r = await _adjust(inventory, settings, pid, {"reason": "促销", "percent": "-15"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "price_below_filed"
    named = r.json()["error"]["units"]
    assert {u["unit_id"] for u in named} == {u["id"] for u in units}
    assert {(u["list_price"], u["floor_price"]) for u in named} == {("850000.00", "900000.00")}
    body = {"reason": "一套", "units": [{"unit_id": units[0]["id"], "list_price": "950000.00"}]}
    body["units"].append({"unit_id": units[1]["id"], "list_price": "899999.99"})
    r = await _adjust(inventory, settings, pid, body)
    assert r.status_code == 422 and [u["unit_id"] for u in r.json()["error"]["units"]] == [units[1]["id"]]
    assert await _prices(inventory, settings, pid) == before and await _events(inventory, pid) == []
    history = await inventory.client.get(
        f"/v1/projects/{pid}/price-adjustments", headers=auth(settings, "manager", pid)
    )
    assert history.json() == []


@pytest.mark.parametrize(
    "body, code",
    [
        ({"reason": "x", "percent": "0"}, "invalid_percent"),
        ({"reason": "x", "percent": "150"}, "invalid_percent"),
        ({"reason": "x"}, "invalid_adjustment"),
        ({"reason": "x", "percent": "3", "units": [{"unit_id": str(uuid.uuid4()), "list_price": "1.00"}]}, None),
        ({"reason": "x", "units": [{"unit_id": str(uuid.uuid4()), "list_price": "1000000.00"}]}, "unknown_unit"),
        ({"reason": "x", "building": "Z9", "percent": "3"}, "no_units"),
        ({"reason": "x", "units": [{"unit_id": "u", "list_price": 5}]}, "invalid_amount"),
    ],
)
async def test_a_malformed_adjustment_is_refused(inventory, settings, body, code) -> None:
    pid, _ = await new_project(inventory, settings, units=1)
    r = await _adjust(inventory, settings, pid, body)
    assert r.status_code == 422 and (code is None or r.json()["error"]["code"] == code), r.text


async def test_the_board_and_its_stream_show_the_new_price(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=2)
    feed = feed_of(inventory.app.state.runtime)
    async with inventory.pool.acquire() as conn:
        live = feed.events(uuid.UUID(pid), await board.board_head(conn))
    waiting = asyncio.ensure_future(anext(live))
    body = {"reason": "调价", "units": [{"unit_id": units[0]["id"], "list_price": "1111111.11"}]}
    assert (await _adjust(inventory, settings, pid, body)).status_code == 201
    event = await asyncio.wait_for(waiting, DEADLINE)
    data = orjson.loads(event["data"])
    assert event["event"] == "unit" and data["unit_id"] == units[0]["id"]
    assert data["list_price"] == "1111111.11" and data["status"] == "available"
    snapshot = (await inventory.client.get(f"/v1/projects/{pid}/board", headers=auth(settings, "service", pid))).json()
    cells = {u["id"]: u for b in snapshot["buildings"] for f in b["floors"] for u in f["units"]}
    assert cells[units[0]["id"]]["list_price"] == "1111111.11" and cells[units[1]["id"]]["list_price"] == "1000000.00"


async def test_a_quote_made_before_an_adjustment_no_longer_sets_the_price(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    uid, manager = units[0]["id"], auth(settings, "manager", pid)
    old = (await inventory.client.post(f"/v1/units/{uid}/quote", json={}, headers=manager)).json()
    assert (await _adjust(inventory, settings, pid, {"reason": "涨价", "percent": "2"})).status_code == 201
    customer = await known_customer(inventory, pid)
    await verified(inventory, pid, deposit(uid, await hold(inventory, settings, pid, uid, customer), customer))
    sale = (await inventory.client.get(f"/v1/units/{uid}", headers=manager)).json()["sale_id"]
    terms = {"buyer_signed": True, "down_payment": {"amount": "300000.00", "due_date": in_days(20)}}
    r = await inventory.client.post(
        f"/v1/sales/{sale}/subscription", json=terms | {"quote_id": old["quote_id"]}, headers=manager
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "quote_outdated"
    fresh = (await inventory.client.post(f"/v1/units/{uid}/quote", json={}, headers=manager)).json()
    r = await inventory.client.post(
        f"/v1/sales/{sale}/subscription", json=terms | {"quote_id": fresh["quote_id"]}, headers=manager
    )
    assert r.status_code == 200 and r.json()["price"] == "1020000.00"

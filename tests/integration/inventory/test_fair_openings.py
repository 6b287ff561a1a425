"""Issue 25, a fair opening on real PostgreSQL: entry closed with its digest, commitments by sales control and a
notary, a wrong secret refused, no commitment after the first reveal, the draw only with the last reveal, the seed
and the order recomputed independently (hashlib and hmac; the snippet of docs/openings.md; `estate opening verify`)
and equal, a typed seed refused, another project's notary refused; holds follow the opening from the close of
entry; an opening whose reveal never comes lapses at its start, on record."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from services.inventory import use_cases
from services.inventory.domain.openings import WindowNotOpen
from services.inventory.use_cases import HoldUnit
from services.inventory.use_cases import fair_openings as fair
from services.inventory.use_cases.opening_gate import let_openings_go_live
from services.inventory.use_cases.openings import draw, opening_in_reach, opening_view
from shared.http.auth import Principal
from shared.messaging.topics import OPENING_DRAWN
from shared.tools.cli import app as estate
from tests.support.auth import auth
from tests.support.inventory import hold_desk, known_customer, new_project
from tests.support.openings import opening_made_before

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[3]
T = datetime(2031, 6, 1, 2, 0, tzinfo=UTC)  # a fixed clock for the instants tests, far from the service's own
SALES_SECRET, NOTARY_SECRET = "8f14e45fceea167a5a36dedd4bea2543-sales", "公证处-c9f0f895fb98ab9159f51fd0297e236d"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _code(r: httpx.Response) -> str:
    return r.json()["error"]["code"]


async def _opening(inventory, settings, pid: str, customers: list[str]) -> str:
    """An opening a month away with these entrants (through the API, on the service's own clock)."""
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    body = {"starts_at": starts.isoformat(), "window_minutes": 15, "batch_size": 2, "units_per_buyer": 1}
    made = await inventory.client.post(
        f"/v1/projects/{pid}/openings", json=body, headers=auth(settings, "manager", pid)
    )
    oid = made.json()["id"]
    joined = await inventory.client.post(
        f"/v1/openings/{oid}/entrants", json={"customer_ids": customers}, headers=auth(settings, "sales_control", pid)
    )
    assert joined.status_code == 200, joined.text
    return oid


async def _post(inventory, path: str, headers: dict[str, str], body: dict | None = None) -> httpx.Response:
    return await inventory.client.post(path, json=body if body is not None else {}, headers=headers)


def _commitment(party: str, secret: str) -> dict[str, str]:
    return {"party": party, "commitment": _sha(secret)}


def _recomputed(opening: dict) -> tuple[str, list[str]]:
    """The seed and the queue from what GET shows, by hashlib and hmac alone."""
    ids = [p["customer_id"] for p in opening["order"]]
    secrets = [p["secret"] for p in sorted(opening["commitments"], key=lambda p: p["party"])]
    seed = _sha(opening["entrants_digest"] + "\n" + "\n".join(secrets))
    ticket = {c: hmac.new(seed.encode(), c.encode(), hashlib.sha256).hexdigest() for c in ids}
    return seed, sorted(ids, key=lambda c: (ticket[c], c))


async def _committed_walk(inventory, settings) -> tuple[str, str, list[str]]:
    """A project, five entrants, entry closed, sales control and a notary committed: (project, opening, entrants)."""
    pid, _ = await new_project(inventory, settings, units=1)
    customers = [await known_customer(inventory, pid) for _ in range(5)]
    oid = await _opening(inventory, settings, pid, customers)
    assert (
        await _post(inventory, f"/v1/openings/{oid}/close-entry", auth(settings, "manager", pid))
    ).status_code == 200
    for role, party, secret in (("sales_control", "sales-control", SALES_SECRET), ("notary", "notary", NOTARY_SECRET)):
        made = await _post(
            inventory, f"/v1/openings/{oid}/commitments", auth(settings, role, pid), _commitment(party, secret)
        )
        assert made.status_code == 201, made.text
    return pid, oid, customers


async def _both_revealed(inventory, settings, pid: str, oid: str, sales_role: str) -> None:
    """Sales control's secret revealed by `sales_role`, then the notary's: the opening is drawn."""
    for role, party, secret in ((sales_role, "sales-control", SALES_SECRET), ("notary", "notary", NOTARY_SECRET)):
        body = {"party": party, "secret": secret}
        answer = await _post(inventory, f"/v1/openings/{oid}/reveals", auth(settings, role, pid), body)
        assert answer.status_code == 200, answer.text


async def test_entry_closes_with_the_digest_of_its_entrants_and_then_takes_nobody(inventory, settings) -> None:
    pid, _ = await new_project(inventory, settings, units=1)
    customers = [await known_customer(inventory, pid) for _ in range(3)]
    oid = await _opening(inventory, settings, pid, customers)
    sales = auth(settings, "sales_control", pid)
    early = await _post(inventory, f"/v1/openings/{oid}/commitments", sales, _commitment("sales-control", "x"))
    assert early.status_code == 409 and _code(early) == "entry_open"
    closed = await _post(inventory, f"/v1/openings/{oid}/close-entry", sales)
    assert closed.status_code == 200, closed.text
    assert closed.json()["entrants"] == 3
    assert closed.json()["entrants_digest"] == _sha("\n".join(sorted(customers)))
    late = await _post(
        inventory, f"/v1/openings/{oid}/entrants", sales, {"customer_ids": [await known_customer(inventory, pid)]}
    )
    assert late.status_code == 409 and _code(late) == "entry_closed"
    again = await _post(inventory, f"/v1/openings/{oid}/close-entry", sales)
    assert again.status_code == 409 and _code(again) == "entry_closed"
    shown = (await inventory.client.get(f"/v1/openings/{oid}", headers=auth(settings, "finance", pid))).json()
    assert shown["status"] == "entry_closed" and shown["entrants_digest"] == closed.json()["entrants_digest"]
    assert shown["entry_closed_at"] == closed.json()["entry_closed_at"] and shown["commitments"] == []
    assert shown["seed"] is None and shown["order"] == []


async def test_the_walk_commit_then_reveal_draws_with_the_last_reveal_and_anyone_recomputes_it(
    inventory, settings
) -> None:
    pid, oid, customers = await _committed_walk(inventory, settings)
    sales, notary = auth(settings, "sales_control", pid), auth(settings, "notary", pid)
    twice = await _post(inventory, f"/v1/openings/{oid}/commitments", notary, _commitment("notary", "other"))
    assert twice.status_code == 409 and _code(twice) == "party_committed"
    for body in ({}, {"seed": "typed-by-hand"}):
        typed = await _post(inventory, f"/v1/openings/{oid}/draw", auth(settings, "manager", pid), body)
        assert typed.status_code == 409 and _code(typed) == "seed_by_commitment"
    wrong = await _post(inventory, f"/v1/openings/{oid}/reveals", sales, {"party": "sales-control", "secret": "guess"})
    assert wrong.status_code == 422 and _code(wrong) == "commitment_mismatch"
    first = await _post(
        inventory, f"/v1/openings/{oid}/reveals", sales, {"party": "sales-control", "secret": SALES_SECRET}
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "entry_closed" and first.json()["seed"] is None  # not drawn: a reveal missing
    shown = {c["party"]: c for c in first.json()["commitments"]}
    assert shown["sales-control"]["secret"] == SALES_SECRET and "secret" not in shown["notary"]
    assert shown["notary"]["notary"] is True and shown["sales-control"]["notary"] is False
    after = await _post(inventory, f"/v1/openings/{oid}/commitments", sales, _commitment("manager", "late"))
    assert after.status_code == 409 and _code(after) == "reveal_started"
    again = await _post(
        inventory, f"/v1/openings/{oid}/reveals", sales, {"party": "sales-control", "secret": SALES_SECRET}
    )
    assert again.status_code == 409 and _code(again) == "already_revealed"
    last = await _post(inventory, f"/v1/openings/{oid}/reveals", notary, {"party": "notary", "secret": NOTARY_SECRET})
    assert last.status_code == 200, last.text
    opening = (await inventory.client.get(f"/v1/openings/{oid}", headers=notary)).json()
    assert opening == last.json() and opening["status"] == "drawn"
    seed, queue = _recomputed(opening)
    assert seed == opening["seed"] == _sha(f"{_sha(chr(10).join(sorted(customers)))}\n{NOTARY_SECRET}\n{SALES_SECRET}")
    assert queue == [p["customer_id"] for p in opening["order"]] and sorted(queue) == sorted(customers)
    assert [p["queue_no"] for p in opening["order"]] == [1, 2, 3, 4, 5]
    async with inventory.pool.acquire() as conn:
        payloads = await conn.fetch("SELECT payload FROM outbox WHERE topic = $1 AND key = $2", OPENING_DRAWN.name, pid)
    drawn = [orjson.loads(p["payload"])["data"] for p in payloads]
    assert [(d["opening_id"], d["seed"], d["entrants"]) for d in drawn] == [(oid, seed, 5)]


async def test_reveals_wait_for_a_notary_and_a_second_party_and_name_what_is_wrong(inventory, settings) -> None:
    pid, _ = await new_project(inventory, settings, units=1)
    oid = await _opening(inventory, settings, pid, [await known_customer(inventory, pid)])
    manager, notary = auth(settings, "manager", pid), auth(settings, "notary", pid)
    await _post(inventory, f"/v1/openings/{oid}/close-entry", manager)
    await _post(inventory, f"/v1/openings/{oid}/commitments", manager, _commitment("manager", "m"))
    alone = await _post(inventory, f"/v1/openings/{oid}/reveals", manager, {"party": "manager", "secret": "m"})
    assert alone.status_code == 409 and _code(alone) == "notary_required"
    bad = [
        {"party": "notary", "commitment": "ABC"},  # not a SHA-256 hex
        {"party": "", "commitment": _sha("n")},
        {"party": "n" * 65, "commitment": _sha("n")},
    ]
    for body in bad:
        refused = await _post(inventory, f"/v1/openings/{oid}/commitments", notary, body)
        assert refused.status_code == 422, (body, refused.text)
    upper = await _post(
        inventory, f"/v1/openings/{oid}/commitments", notary, {"party": "公证处", "commitment": _sha("n").upper()}
    )
    assert upper.status_code == 201 and upper.json()["commitment"] == _sha("n")  # kept and shown lowercase
    stranger = await _post(inventory, f"/v1/openings/{oid}/reveals", notary, {"party": "nobody", "secret": "n"})
    assert stranger.status_code == 422 and _code(stranger) == "unknown_party"
    lone = await inventory.client.post(
        f"/v1/openings/{oid}/reveals",
        content=b'{"party": "\\ud800", "secret": "n"}',
        headers=notary | {"Content-Type": "application/json"},
    )
    assert lone.status_code == 422, lone.text  # a lone surrogate is no text to hash


async def test_a_notary_acts_only_in_their_projects_fair_openings(inventory, settings) -> None:
    pid, oid, _ = await _committed_walk(inventory, settings)
    other_pid, _ = await new_project(inventory, settings, units=1)
    foreign = auth(settings, "notary", other_pid, "notary-elsewhere")
    for path, body in (
        (f"/v1/openings/{oid}/commitments", _commitment("notary-2", "z")),
        (f"/v1/openings/{oid}/reveals", {"party": "notary", "secret": NOTARY_SECRET}),
    ):
        refused = await _post(inventory, path, foreign, body)
        assert refused.status_code == 403 and _code(refused) == "wrong_project", refused.text
    assert (await inventory.client.get(f"/v1/openings/{oid}", headers=foreign)).status_code == 403
    notary = auth(settings, "notary", pid)
    assert (await inventory.client.get(f"/v1/openings/{oid}", headers=notary)).status_code == 200
    for method, path, body in (
        ("POST", f"/v1/openings/{oid}/close-entry", {}),
        ("POST", f"/v1/openings/{oid}/draw", {}),
        ("POST", f"/v1/openings/{oid}/entrants", {"customer_ids": [str(uuid.uuid4())]}),
        ("GET", f"/v1/projects/{pid}/units", None),
        ("GET", f"/v1/projects/{pid}/board", None),
    ):
        answer = await inventory.client.request(method, path, json=body, headers=notary)
        assert answer.status_code == 403 and _code(answer) == "wrong_role", (path, answer.text)


async def test_the_documented_snippet_recomputes_the_seed_and_the_order_from_what_get_shows(
    inventory, settings
) -> None:
    pid, oid, _ = await _committed_walk(inventory, settings)
    await _both_revealed(inventory, settings, pid, oid, "manager")
    opening = (await inventory.client.get(f"/v1/openings/{oid}", headers=auth(settings, "finance", pid))).json()
    doc = (ROOT / "docs" / "openings.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in doc.split("```python\n")[1:]]
    snippet = next(b for b in blocks if "def recompute(" in b)
    assert len(snippet.strip().splitlines()) <= 14  # short enough to type in
    recipe: dict = {}
    exec(snippet, recipe)
    seed, queue = recipe["recompute"](opening)
    assert seed == opening["seed"] and queue == [p["customer_id"] for p in opening["order"]]
    tampered = opening | {"commitments": [c | {"secret": c["secret"] + "!"} for c in opening["commitments"]]}
    with pytest.raises(AssertionError):
        recipe["recompute"](tampered)


async def test_estate_opening_verify_checks_a_drawn_opening_from_a_file_or_the_service(
    inventory, settings, tmp_path, monkeypatch
) -> None:
    pid, oid, _ = await _committed_walk(inventory, settings)
    await _both_revealed(inventory, settings, pid, oid, "sales_control")
    answer = await inventory.client.get(f"/v1/openings/{oid}", headers=auth(settings, "notary", pid))
    saved = tmp_path / "opening.json"
    saved.write_text(answer.text, encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(estate, ["opening", "verify", oid, "--file", str(saved)])
    assert ok.exit_code == 0, ok.output
    assert "FAIL" not in ok.output and ok.output.count("ok  ") >= 8
    opening = answer.json()
    order = opening["order"]
    swapped = [order[1] | {"queue_no": 1}, order[0] | {"queue_no": 2}, *order[2:]]  # two buyers trade places
    for tampered in (
        opening | {"order": swapped},
        opening | {"seed": "0" * 64},
        opening | {"entrants_digest": _sha("x")},
    ):
        saved.write_text(json.dumps(tampered), encoding="utf-8")
        failed = runner.invoke(estate, ["opening", "verify", oid, "--file", str(saved)])
        assert failed.exit_code == 1 and "FAIL" in failed.output, failed.output
    asked: list[tuple[str, str]] = []

    def get(url: str, headers: dict[str, str]) -> httpx.Response:
        asked.append((url, headers["Authorization"]))
        return httpx.Response(200, content=answer.content)

    monkeypatch.setattr("services.inventory.verify.httpx.get", get)
    served = runner.invoke(estate, ["opening", "verify", oid, "--url", "http://inventory:8002/", "--token", "tok"])
    assert served.exit_code == 0, served.output
    assert asked == [(f"http://inventory:8002/v1/openings/{oid}", "Bearer tok")]
    undrawn = runner.invoke(
        estate, ["opening", "verify", oid, "--file", "-"], input=json.dumps(opening | {"seed": None})
    )
    assert undrawn.exit_code == 1 and "drawn" in undrawn.output


async def _hold_at(inventory, unit: dict, customer: str, at: datetime) -> dict:
    command = HoldUnit(uuid.UUID(unit["id"]), uuid.UUID(customer), "sales_control-1")
    return await use_cases.hold_unit(hold_desk(inventory), command, now=at)


def _principal(role: str, pid: str) -> Principal:
    return Principal(f"{role}-1", role, frozenset({pid}))


async def test_holds_follow_the_opening_from_the_close_of_entry_and_a_typed_draw_stays_for_one_without_commitments(
    inventory, settings
) -> None:
    pid, units = await new_project(inventory, settings, units=3)
    entrant, outsider = await known_customer(inventory, pid), await known_customer(inventory, pid)
    row = await opening_made_before(inventory, pid, T, window_minutes=10, batch_size=1)
    async with inventory.pool.acquire() as conn:
        opening = await opening_in_reach(conn, uuid.UUID(row["id"]), lambda _: None)
    await inventory.client.post(
        f"/v1/openings/{row['id']}/entrants",
        json={"customer_ids": [entrant]},
        headers=auth(settings, "sales_control", pid),
    )
    await _hold_at(inventory, units[0], outsider, T - timedelta(hours=3))  # entry open: as on any day
    async with inventory.pool.acquire() as conn:
        await fair.close_entry(conn, opening, "sales_control-1", now=T - timedelta(hours=2))
    with pytest.raises(WindowNotOpen):  # entry closed, not drawn: nobody holds in the project, entrant or not
        await _hold_at(inventory, units[1], outsider, T - timedelta(hours=1))
    with pytest.raises(WindowNotOpen):
        await _hold_at(inventory, units[1], entrant, T - timedelta(hours=1))
    async with inventory.pool.acquire() as conn:
        drawn = await draw(conn, opening, "typed-seed", "manager-1")  # no commitment taken: a typed seed draws it
    assert drawn["seed"] == "typed-seed" and drawn["entrants_digest"] == _sha(entrant)
    await _hold_at(inventory, units[1], entrant, T + timedelta(minutes=1))  # in the entrant's window


async def test_an_opening_whose_reveal_never_comes_lapses_at_its_start_on_record(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    customer = await known_customer(inventory, pid)
    row = await opening_made_before(inventory, pid, T)
    await inventory.client.post(
        f"/v1/openings/{row['id']}/entrants",
        json={"customer_ids": [customer]},
        headers=auth(settings, "sales_control", pid),
    )
    async with inventory.pool.acquire() as conn:
        opening = await opening_in_reach(conn, uuid.UUID(row["id"]), lambda _: None)
        await fair.close_entry(conn, opening, "sales_control-1", now=T - timedelta(hours=2))
        await fair.commit(
            conn, opening, "sales-control", _sha("s"), _principal("sales_control", pid), T - timedelta(hours=1)
        )
        await fair.commit(conn, opening, "notary", _sha("n"), _principal("notary", pid), T - timedelta(hours=1))
        await fair.reveal(conn, opening, "sales-control", "s", "sales_control-1", T - timedelta(minutes=30))
        await let_openings_go_live(conn, now=T - timedelta(minutes=1))  # not yet due
        assert (await opening_in_reach(conn, opening["id"], lambda _: None))["lapsed_at"] is None
        await let_openings_go_live(conn, now=T + timedelta(seconds=1))
        await let_openings_go_live(conn, now=T + timedelta(minutes=5))  # once: the first pass's time stays
        lapsed = await opening_in_reach(conn, opening["id"], lambda _: None)
        shown = await opening_view(conn, lapsed, T + timedelta(minutes=5))
    assert lapsed["lapsed_at"] == T + timedelta(seconds=1)
    assert shown["status"] == "lapsed" and shown["seed"] is None and shown["order"] == []
    assert [(c["party"], c.get("secret")) for c in shown["commitments"]] == [("notary", None), ("sales-control", "s")]
    async with inventory.pool.acquire() as conn:
        with pytest.raises(Exception, match="never drawn") as late:
            await fair.reveal(conn, opening, "notary", "n", "notary-1", T + timedelta(minutes=6))
    assert late.value.code == "opening_started"  # type: ignore[attr-defined]
    await _hold_at(inventory, units[0], customer, T + timedelta(minutes=7))  # as on any day again


async def test_an_opening_drawn_before_the_upgrade_gets_its_entrants_digest_and_its_draw_as_the_close(
    inventory, settings
) -> None:
    """Migration 011's backfill, run again on an opening drawn the v1.1 way and stored as before the upgrade."""
    pid, _ = await new_project(inventory, settings, units=1)
    customers = [await known_customer(inventory, pid) for _ in range(4)]
    oid = await _opening(inventory, settings, pid, customers)
    drawn = await _post(inventory, f"/v1/openings/{oid}/draw", auth(settings, "manager", pid), {"seed": "v1.1"})
    assert drawn.json()["entrants_digest"] == _sha("\n".join(sorted(customers)))  # a draw now closes entry too
    migration = (ROOT / "services/inventory/migrations/014_fair_openings.sql").read_text()
    backfill = migration[migration.index("UPDATE openings o") : migration.index("WHERE o.status = 'drawn';") + 24]
    async with inventory.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE openings SET entry_closed_at = NULL, entry_closed_by = NULL, entrants_digest = NULL WHERE id = $1",
            uuid.UUID(oid),
        )
        await conn.execute(backfill + " AND o.id = $1", uuid.UUID(oid))  # this opening only: others are tests' own
        row = await conn.fetchrow(
            "SELECT entry_closed_at, drawn_at, entry_closed_by, entrants_digest FROM openings WHERE id = $1",
            uuid.UUID(oid),
        )
    assert row["entrants_digest"] == _sha("\n".join(sorted(customers)))
    assert row["entry_closed_at"] == row["drawn_at"] and row["entry_closed_by"] == "manager-1"

"""Issues 13 and 20: the levers of the hold path (settings `hot_routes`, `hold_in_one_statement`,
`hold_reads_together`, `hold_takes_together`) each still do what they say, and every setting of them gives the same
answers: one winner among concurrent attempts, answered with the same values, the others refused alike (R19)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client import REGISTRY

from services.inventory.app import build_spec
from services.inventory.use_cases import taking
from shared.runtime.serving import create_app
from tests.support.auth import auth
from tests.support.inventory import known_customer, new_project

AT = datetime(2031, 5, 1, 2, 0, tzinfo=UTC)  # the one clock, pinned: every setting's hold expires alike
ATTEMPTS = 6
LEVERS = {
    "every lever on": {},
    "the framework's route only": {"hot_routes": False},
    "a transaction per winner": {"hold_in_one_statement": False},
    "attempts read alone": {"hold_reads_together": False},
    "winners take alone": {"hold_takes_together": False},
    "every lever off": {
        "hot_routes": False,
        "hold_in_one_statement": False,
        "hold_reads_together": False,
        "hold_takes_together": False,
    },
}


def _groups(statement: str) -> float:
    """How many group statements of this kind (read, take) the process has sent."""
    labels = {"service": "inventory", "statement": statement}
    return REGISTRY.get_sample_value("estate_hold_group_size_count", labels) or 0.0


@pytest.mark.parametrize("levers", LEVERS.values(), ids=LEVERS.keys())
async def test_every_setting_of_the_levers_gives_the_same_answers_r19(inventory, settings, monkeypatch, levers) -> None:
    monkeypatch.setattr(taking, "now_utc", lambda: AT)
    app = create_app(build_spec(), settings.model_copy(update=levers))
    app.state.runtime = inventory.app.state.runtime  # the running inventory's pool
    pid, units = await new_project(inventory, settings, units=1, hold_minutes=45)
    customers = [await known_customer(inventory, pid) for _ in range(ATTEMPTS)]
    url, me = f"/v1/units/{units[0]['id']}/holds", auth(settings, "consultant", pid)
    before = _groups("read"), _groups("take")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://inventory") as client:
        answers = await asyncio.gather(*(client.post(url, json={"customer_id": c}, headers=me) for c in customers))

    assert sorted(a.status_code for a in answers) == [201] + [409] * (ATTEMPTS - 1)
    won = next(a.json() for a in answers if a.status_code == 201)
    shown = (await inventory.client.get(f"/v1/units/{units[0]['id']}", headers=me)).json()["hold"]
    assert won == {
        "hold_id": shown["hold_id"],
        "unit_id": units[0]["id"],
        "customer_id": shown["customer_id"],
        "consultant_id": "consultant-1",
        "expires_at": (AT + timedelta(minutes=45)).isoformat(),
    }
    assert won["customer_id"] in customers
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"unit_not_available"}
    # and each lever still does what it says: attempts read together, and those that may win take together
    reads_together = levers.get("hold_reads_together", True)
    takes_together = (
        reads_together and levers.get("hold_takes_together", True) and levers.get("hold_in_one_statement", True)
    )
    assert (_groups("read") > before[0], _groups("take") > before[1]) == (reads_together, takes_together)

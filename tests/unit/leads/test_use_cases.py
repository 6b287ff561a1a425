"""Leads use cases with the store replaced by an in-memory stand-in: what they write, what they publish,
and the paths a real database rarely shows (a registration race lost again and again)."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.leads import store, use_cases
from services.leads.domain import InvalidInput, InvalidPhone
from services.leads.use_cases import CustomerProtected, RegisterCustomer, RegistrationBusy, calls, registration
from shared.http.refusals import domain_status
from shared.kernel.defaults import DEFAULTS, ProjectSettings
from shared.messaging import topics
from shared.messaging.envelope import new_envelope
from shared.trust.pii import Vault

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PID = uuid.UUID(int=7)
VAULT = Vault("unit-test-key")
PROFILE = {"purchasing_power": {"budget_max": "3000000.00"}}


class FakeConn:
    """Only transactions; every query goes through the patched store."""

    @asynccontextmanager
    async def transaction(self):
        yield self


class FakeStore:
    """Customers by phone hash; `lose` makes the next n inserts lose the race to `rival`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, lose: int = 0) -> None:
        self.rows: dict[bytes, dict[str, Any]] = {}
        self.events: list[tuple[str, dict, str]] = []
        self.timeline: list[tuple[str, dict]] = []
        self.lose = lose
        self.rival = {"id": uuid.uuid4(), "owner_id": "c-rival", "protected_until": NOW + timedelta(days=20)}
        names = (
            "protection_days",
            "customer_by_phone",
            "insert_customer",
            "add_timeline",
            "staff_name",
            "project_rules",
        )
        for name in names:
            monkeypatch.setattr(store, name, getattr(self, name))
        monkeypatch.setattr(registration, "add_event", self.add_event)
        monkeypatch.setattr(registration, "count_event", self.count_event)
        self.counted: list[tuple[str, datetime]] = []  # issue 22: what the group's reports were given

    async def protection_days(self, conn, project_id) -> int:
        return 20

    async def project_rules(self, conn, project_id) -> ProjectSettings:
        return DEFAULTS

    async def staff_name(self, conn, staff_id) -> str:
        return f"Name of {staff_id}"

    async def customer_by_phone(self, conn, project_id, phone_hash, lock=False):
        return self.rows.get(phone_hash)

    async def insert_customer(self, conn, row) -> bool:
        if self.lose:
            self.lose -= 1
            self.rows[row["phone_hash"]] = self.rival if not self.lose else None  # the rival's row shows up late
            return False
        self.rows[row["phone_hash"]] = row
        return True

    async def add_timeline(self, conn, customer_id, at, kind, detail, event_id=None) -> None:
        self.timeline.append((kind, detail))

    async def add_event(self, conn, topic, data, *, project_id, causation_id=None):
        self.events.append((topic.name, data, project_id))
        return new_envelope(topic.event_type, data, producer=topic.producer, project_id=project_id)

    async def count_event(self, conn, env, at=None) -> None:
        self.counted.append((env.type, at))


async def test_a_new_customer_is_stored_encrypted_and_announced_without_personal_data(monkeypatch) -> None:
    fake = FakeStore(monkeypatch)
    answer, created = await use_cases.register_customer(
        FakeConn(), VAULT, RegisterCustomer(PID, "c-a", "Li Lei", "138 1234 5678", grade="A", profile=PROFILE), now=NOW
    )
    assert created and answer["existing"] is False and answer["owner_id"] == "c-a"
    assert answer["protected_until"] == (NOW + timedelta(days=20)).isoformat()
    row = next(iter(fake.rows.values()))
    assert VAULT.decrypt(row["phone_enc"]) == "+8613812345678" and row["phone_masked"] == "138****5678"
    assert b"Li Lei" not in row["name_enc"] and VAULT.decrypt_json(row["profile_enc"]) == PROFILE
    [(topic, data, project)] = fake.events
    assert (topic, project) == (topics.CUSTOMER_REGISTERED.name, str(PID))
    assert data["next_contact_at"] == NOW + timedelta(days=7)  # grade A: within a week (R13)
    assert "Li Lei" not in str(data) and "13812345678" not in str(data)
    assert [k for k, _ in fake.timeline] == ["registered"]
    assert fake.counted == [("customer-registered", NOW)]  # issue 22: in the group's reports, on its own day


async def test_a_lost_race_looks_again_and_finds_the_winner_protected_r4(monkeypatch) -> None:
    fake = FakeStore(monkeypatch, lose=1)
    with pytest.raises(CustomerProtected) as caught:
        await use_cases.register_customer(
            FakeConn(), VAULT, RegisterCustomer(PID, "c-a", "Li Lei", "13812345678"), now=NOW
        )
    assert (caught.value.owner_name, caught.value.protected_until) == ("Name of c-rival", fake.rival["protected_until"])
    body = {"code": caught.value.code, **caught.value.extra()}  # what shared.web answers with
    assert domain_status(caught.value) == 409 and body["code"] == "customer_protected" and body["owner_name"]
    assert str(fake.rival["id"]) not in str(body) and fake.events == []


async def test_a_race_lost_every_time_is_a_409_not_a_500(monkeypatch) -> None:
    FakeStore(monkeypatch, lose=use_cases.REGISTRATION_ATTEMPTS + 1)
    with pytest.raises(RegistrationBusy) as caught:
        await use_cases.register_customer(FakeConn(), VAULT, RegisterCustomer(PID, "c-a", "x", "13812345678"), now=NOW)
    assert (domain_status(caught.value), caught.value.code) == (409, "registration_busy")


async def test_bad_input_is_refused_before_anything_is_written(monkeypatch) -> None:
    fake = FakeStore(monkeypatch)
    for cmd, error in (
        (RegisterCustomer(PID, "c-a", "x", "12345"), InvalidPhone),
        (RegisterCustomer(PID, "c-a", " ", "13812345678"), InvalidInput),
        (RegisterCustomer(PID, "c-a", "x", visitor_type="mystery"), InvalidInput),
    ):
        with pytest.raises(error):
            await use_cases.register_customer(FakeConn(), VAULT, cmd, now=NOW)
    assert fake.rows == {} and fake.events == []
    assert (domain_status(InvalidPhone("no")), InvalidPhone.code) == (422, "invalid_phone")


async def test_a_customer_without_a_phone_is_registered_every_time_r6(monkeypatch) -> None:
    fake = FakeStore(monkeypatch)
    for _ in range(2):
        _, created = await use_cases.register_customer(
            FakeConn(), VAULT, RegisterCustomer(PID, "c-a", "man with umbrella"), now=NOW
        )
        assert created
    assert len(fake.events) == 2


def test_call_figures_count_unanswered_calls_as_misses_r1() -> None:
    figures = calls._call_figures(4, 3, 2, 7.25, {"consultant_id": "c-a"})
    assert figures == {
        "consultant_id": "c-a",
        "calls": 4,
        "answered": 3,
        "within_3_rings": 2,
        "within_3_rings_rate": 0.5,
        "avg_answer_seconds": 7.2,
    }
    assert calls._call_figures(0, 0, 0, None, {})["within_3_rings_rate"] is None

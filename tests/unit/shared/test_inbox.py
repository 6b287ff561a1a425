"""The inbox's decisions with fakes: dedupe, bounded retries, dead-lettering, infrastructure errors."""

from __future__ import annotations

import contextlib

import pytest

from shared.messaging.envelope import new_envelope
from shared.messaging.inbox import Delivery, Inbox
from shared.messaging.topics import PLATFORM_TEST


class FakeConn:
    def __init__(self, seen: set) -> None:
        self.seen = seen

    async def fetch(self, sql: str, event_ids, topic) -> list[dict]:
        fresh = [e for e in dict.fromkeys(event_ids) if e not in self.seen]
        self.seen.update(fresh)
        return [{"event_id": e} for e in fresh]

    def transaction(self):
        return contextlib.nullcontext()


class FakePool:
    def __init__(self) -> None:
        self.seen: set = set()

    @contextlib.asynccontextmanager
    async def acquire(self):
        snapshot = set(self.seen)
        conn = FakeConn(self.seen)
        try:
            yield _AsyncTx(conn)
        except BaseException:
            self.seen.clear()
            self.seen.update(snapshot)  # a failed transaction leaves no inbox row
            raise


class _AsyncTx(FakeConn):
    def __init__(self, conn: FakeConn) -> None:
        super().__init__(conn.seen)

    def transaction(self):
        @contextlib.asynccontextmanager
        async def tx():
            yield

        return tx()


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict]] = []

    async def send_and_wait(self, topic: str, value: bytes, key=None, headers=()) -> None:
        self.sent.append((topic, value, dict(headers)))


def _inbox() -> tuple[Inbox, FakePool, FakeProducer]:
    pool, producer = FakePool(), FakeProducer()
    return Inbox("test", pool, producer, max_retries=2, backoff_seconds=0), pool, producer  # type: ignore[arg-type]


def _delivery(**data) -> Delivery:
    env = new_envelope(PLATFORM_TEST.event_type, {"key": "k", "seq": 1, **data}, producer="t", project_id="p")
    return Delivery(PLATFORM_TEST, env.to_bytes(), key=b"k", partition=0, offset=7)


async def test_an_event_is_applied_once_and_a_duplicate_changes_nothing() -> None:
    inbox, _, _ = _inbox()
    calls = []

    async def handler(conn, env, data) -> None:
        calls.append(data.seq)

    delivery = _delivery()
    assert await inbox.process_batch([delivery], handler) == ["applied"]
    assert await inbox.process_batch([delivery], handler) == ["duplicate"]
    assert calls == [1]


async def test_unreadable_message_goes_to_the_dlq_with_its_reason() -> None:
    inbox, _, producer = _inbox()

    async def handler(conn, env, data) -> None:
        raise AssertionError("never called")

    bad = Delivery(PLATFORM_TEST, b"\x00garbage", key=b"k", partition=3, offset=9)
    assert await inbox.process_batch([bad], handler) == []  # nothing readable to apply
    topic, value, headers = producer.sent[0]
    assert topic == PLATFORM_TEST.dlq and value == b"\x00garbage"
    assert headers["x-dlq-reason"] == b"invalid_message" and headers["x-original-offset"] == b"9"


async def test_handler_errors_are_retried_a_bounded_number_of_times_then_dead_lettered() -> None:
    inbox, pool, producer = _inbox()
    attempts = []

    async def handler(conn, env, data) -> None:
        attempts.append(1)
        raise ValueError("boom")

    assert await inbox.process_batch([_delivery()], handler) == ["dead_lettered"]
    assert len(attempts) == 4  # the batch, then alone: first try + max_retries
    assert producer.sent[0][2]["x-dlq-reason"] == b"handler_failed"
    assert pool.seen == set()  # nothing recorded as applied


async def test_a_transient_handler_error_then_success_applies_once() -> None:
    inbox, _, producer = _inbox()
    attempts = []

    async def handler(conn, env, data) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("deadlock detected")

    assert await inbox.process_batch([_delivery()], handler) == ["applied"]
    assert len(attempts) == 2 and producer.sent == []


async def test_database_unreachable_is_raised_not_dead_lettered() -> None:
    inbox, _, producer = _inbox()

    async def handler(conn, env, data) -> None:
        raise ConnectionRefusedError("database went away")

    with pytest.raises(ConnectionRefusedError):
        await inbox.process_batch([_delivery()], handler)
    assert producer.sent == []

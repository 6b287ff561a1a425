"""Every periodic job of the four services as one pass of `bench/scale.py` times it: (service, pass). A pass gets
a connection inside a transaction the bench rolls back, the vault and the growing project's id, and returns how
many rows it acted on (the figure its cost should follow)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from services.inventory import use_cases as inventory
from services.leads import use_cases as leads
from services.notifications import use_cases as notifications
from services.notifications.webhooks import use_cases as webhooks
from services.payments import use_cases as payments
from shared.trust.pii import Vault

Pass = Callable[[asyncpg.Connection, Vault, uuid.UUID], Awaitable[int]]
ZONE = ZoneInfo("Asia/Shanghai")


def morning() -> datetime:
    """10:00 today in the projects' zone: every project's digest is due."""
    return datetime.combine(datetime.now(ZONE).date(), time(10), ZONE).astimezone(UTC)


async def digest_due(conn: asyncpg.Connection, vault: Vault, project: uuid.UUID) -> int:
    """The 09:00 pass that sends the group's digests (none sent yet today): overdue rows counted per consultant."""
    await conn.execute("DELETE FROM digests")
    await leads.send_digests(conn, morning())
    return await conn.fetchval("SELECT coalesce(sum(overdue), 0) FROM digests")


async def digest_sent(conn: asyncpg.Connection, vault: Vault, project: uuid.UUID) -> int:
    """Every later pass of the day (each minute until midnight): every digest sent already, nothing to count."""
    await conn.execute(
        "INSERT INTO digests (project_id, day, sent_at, overdue) SELECT project_id, $1::date, now(), 0 FROM projects"
        " ON CONFLICT DO NOTHING",
        morning().astimezone(ZONE).date(),
    )
    return await leads.send_digests(conn, morning() + timedelta(hours=1))


async def overdue_list(conn: asyncpg.Connection, vault: Vault, project: uuid.UUID) -> int:
    """The whole overdue list of the project that grows (what the digest and the review count from)."""
    return len(await leads.overdue_followups(conn, project))


async def overdue_watch(conn: asyncpg.Connection, vault: Vault, project: uuid.UUID) -> int:
    return await payments.report_overdue(conn) + await payments.mark_banking_overdue(conn)


JOBS: dict[str, tuple[str, Pass]] = {
    "09:00 digest, due (whole group)": ("leads", digest_due),
    "09:00 digest, already sent (each minute after)": ("leads", digest_sent),
    "overdue list of the project (digest, review)": ("leads", overdue_list),
    "sealing and needs counting (leads, every 5 min)": (
        "leads",
        lambda conn, vault, project: leads.seal_legacy_pii(conn, vault),
    ),
    "after-sales hand-over (every min)": ("leads", lambda conn, vault, project: leads.pass_due_deals(conn)),
    "reminder dispatch": ("notifications", lambda conn, vault, project: notifications.dispatch_due(conn, {})),
    "hand-off acknowledgement watch": (
        "notifications",
        lambda conn, vault, project: webhooks.report_unacknowledged(conn),
    ),
    "webhook sealing": ("notifications", lambda conn, vault, project: webhooks.seal_legacy(conn)),
    "payments overdue watch": ("payments", overdue_watch),
    "payer sealing": ("payments", lambda conn, vault, project: payments.seal_payers(conn, vault)),
    "hold sweeper": ("inventory", lambda conn, vault, project: inventory.expire_holds(conn)),
    "opening gate": ("inventory", lambda conn, vault, project: inventory.let_openings_go_live(conn)),
}

"""Who owns whom (R8, contract v1.1 "Who sees whom"), as a read model every service keeps.

Leads is where ownership is decided; inventory, payments and notifications learn it from
`customer-registered` and `ownership-changed` and refuse a consultant who acts for another
consultant's customer with 404 `not_found` (the same answer leads gives, so nothing leaks).
The two topics are not ordered together: the row keeps the change with the latest `occurred_at`.

Each service's migrations create the table:

    CREATE TABLE customer_owners (
        customer_id  uuid PRIMARY KEY,
        project_id   uuid NOT NULL,
        owner_id     text NOT NULL,
        changed_at   timestamptz NOT NULL
    );
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import asyncpg

from shared.http.auth import Principal
from shared.kernel.errors import NotFound
from shared.messaging.envelope import Envelope
from shared.messaging.inbox import Handlers
from shared.messaging.topics import CUSTOMER_REGISTERED, OWNERSHIP_CHANGED, CustomerRegisteredData, OwnershipChangedData

# Roles that see the whole project (contract: managers, sales control, finance and service staff).
WHOLE_PROJECT_ROLES = frozenset({"manager", "sales_control", "finance", "service", "admin", "group_manager"})

HANDLERS = Handlers()  # every service keeps who owns whom from these two events (R8)


async def record_owner(
    conn: asyncpg.Connection, customer_id: str, project_id: str, owner_id: str, changed_at: datetime
) -> None:
    """Remember `owner_id` for the customer unless a later change is already known."""
    await conn.execute(
        "INSERT INTO customer_owners (customer_id, project_id, owner_id, changed_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (customer_id) DO UPDATE SET owner_id = EXCLUDED.owner_id, changed_at = EXCLUDED.changed_at"
        " WHERE customer_owners.changed_at <= EXCLUDED.changed_at",
        uuid.UUID(customer_id),
        uuid.UUID(project_id),
        owner_id,
        changed_at,
    )


@HANDLERS.on(CUSTOMER_REGISTERED)
async def on_customer_registered(conn: asyncpg.Connection, env: Envelope, data: CustomerRegisteredData) -> None:
    """Inbox handler: a registration names the first owner."""
    if env.project_id:
        await record_owner(conn, data.customer_id, env.project_id, data.owner_id, env.occurred_at)


@HANDLERS.on(OWNERSHIP_CHANGED)
async def on_ownership_changed(conn: asyncpg.Connection, env: Envelope, data: OwnershipChangedData) -> None:
    """Inbox handler: a claim decided, a manager's assignment or a lapse moves the customer."""
    await record_owner(conn, data.customer_id, data.project_id, data.to_consultant_id, env.occurred_at)


async def owner_of(conn: asyncpg.Connection | asyncpg.Pool, customer_id: uuid.UUID) -> str | None:
    """The consultant who owns the customer, if this service has heard of them."""
    return await conn.fetchval("SELECT owner_id FROM customer_owners WHERE customer_id = $1", customer_id)


def may_act_for(who: Principal, owner_id: str | None) -> bool:
    """Staff who see the whole project may; a consultant only for a customer they own."""
    return who.role in WHOLE_PROJECT_ROLES or (owner_id is not None and owner_id == who.sub)


async def require_own_customer(conn: asyncpg.Connection | asyncpg.Pool, who: Principal, customer_id: uuid.UUID) -> None:
    """404 `not_found` unless `who` may act for this customer (a consultant's own customers only)."""
    if who.role in WHOLE_PROJECT_ROLES:
        return
    if not may_act_for(who, await owner_of(conn, customer_id)):
        raise NotFound("no such customer")


RowT = TypeVar("RowT")


def in_project(row: RowT | None, what: str, may_work_on: Callable[[str], None]) -> RowT:
    """The row, once the caller may work on its project: `no such <what>` (404) when there is none, and
    `may_work_on` raises (403) for another project's staff."""
    if row is None:
        raise NotFound(f"no such {what}")
    may_work_on(str(row["project_id"]))  # type: ignore[index]
    return row

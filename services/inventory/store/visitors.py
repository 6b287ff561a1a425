"""Inventory SQL for key visitors (R5): the customers read model re-typed when leads corrects a visitor type."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

_SET_KEY_VISITOR = (
    "INSERT INTO customers (project_id, customer_id, key_visitor, key_visitor_changed_at) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (project_id, customer_id) DO UPDATE"
    " SET key_visitor = EXCLUDED.key_visitor, key_visitor_changed_at = EXCLUDED.key_visitor_changed_at"
    " WHERE customers.key_visitor_changed_at IS NULL OR customers.key_visitor_changed_at <= $4"
)


async def set_key_visitor(
    conn: asyncpg.Connection, project_id: uuid.UUID, customer_id: uuid.UUID, key_visitor: bool, changed_at: datetime
) -> None:
    """R5: the customer is (or is no longer) a key visitor from `changed_at`, unless a later change is known; a
    change heard before the registration makes the row, which the registration then leaves alone."""
    await conn.execute(_SET_KEY_VISITOR, project_id, customer_id, key_visitor, changed_at)

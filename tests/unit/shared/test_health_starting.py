"""/health says `starting` until the service's consumer has joined its group (issue 8: the first events after
`make run` took ~9 s while groups were still joining, and the demo retried a hold 45 times). Since issue 27 a
service has one consumer for all its topics: one assignment makes every topic ready."""

from __future__ import annotations

import asyncio

from shared.messaging.consuming import AssignmentListener
from shared.messaging.topics import CUSTOMER_REGISTERED, OWNERSHIP_CHANGED
from shared.runtime.service import Runtime, ServiceSpec
from shared.runtime.settings import Settings


async def _nothing(*_: object) -> None:
    return None


def test_a_service_is_ready_only_once_its_consumer_has_its_partitions() -> None:
    spec = ServiceSpec("readiness", handlers={CUSTOMER_REGISTERED: _nothing, OWNERSHIP_CHANGED: _nothing})
    runtime = Runtime(spec, Settings(kafka="127.0.0.1:1"))
    assert not runtime.consumers_ready()
    asyncio.run(AssignmentListener(runtime.consumer).on_partitions_assigned(set()))  # even with no partitions
    assert runtime.consumers_ready()


def test_an_http_only_replica_or_a_service_without_consumers_is_ready_at_once() -> None:
    assert Runtime(ServiceSpec("plain"), Settings(kafka="127.0.0.1:1")).consumers_ready()
    spec = ServiceSpec("http_only", handlers={CUSTOMER_REGISTERED: _nothing})
    assert Runtime(spec, Settings(kafka="127.0.0.1:1", consumers_enabled=False)).consumers_ready()

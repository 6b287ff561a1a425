"""The catalogue's consumer table equals the handlers the four services register: a relay confirms an event only
when every consumer group of its topic has read it (issue 19), so a consumer missing from the table would let the
broker lose events that service never read."""

from __future__ import annotations

from shared.messaging.topics import CONSUMED_BY
from shared.runtime.serving import load_spec
from shared.runtime.settings import SERVICES


def test_every_consumed_topic_names_exactly_the_services_that_consume_it() -> None:
    registered: dict[str, set[str]] = {}
    for service in SERVICES:
        for topic in load_spec(service).handlers:
            registered.setdefault(topic.name, set()).add(service)
    assert {topic: set(services) for topic, services in CONSUMED_BY.items()} == registered

"""`estate demo`: one customer walked through the whole journey over HTTP, step by step.

The same driver runs in the end-to-end test. Services are eventually consistent with each other
(a hold needs inventory's read model of the customer, a deposit needs payments' read model of the
hold), so a step that depends on another service's event is retried until that event arrives.
"""

from __future__ import annotations

from shared.tools.demo.driver import Journey, Printer, StepFailed, Urls
from shared.tools.demo.journey import Demo

__all__ = ["Demo", "Journey", "StepFailed", "Urls", "run_demo"]


async def run_demo(urls: Urls, secret: str, kafka: str, say: Printer = print) -> Journey:
    """Walk one customer through the journey against running services."""
    return await Demo(urls, secret, kafka, say).run()

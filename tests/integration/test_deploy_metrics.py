"""Every metric named in an alert rule or a dashboard panel is exported by a running service."""

from __future__ import annotations

import re

import httpx

from tests.support.deploy import alert_metric_names, dashboard_metric_names


def exported_families(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        match = re.match(r"# TYPE (\S+) (\w+)", line)
        if match:
            name, kind = match.groups()
            names.add(name + "_total" if kind == "counter" and not name.endswith("_total") else name)
    return names


def test_every_alert_and_dashboard_metric_is_exported(start_service) -> None:
    exported: set[str] = set()
    for name in ("leads", "inventory", "payments", "notifications"):
        exported |= exported_families(httpx.get(f"{start_service(name).url}/metrics", timeout=10).text)
    wanted = alert_metric_names() | dashboard_metric_names()
    assert wanted and wanted <= exported, f"not exported: {sorted(wanted - exported)}"

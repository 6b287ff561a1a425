"""What the deploy files (Prometheus alerts, the Grafana dashboard) refer to, for the tests that keep them true."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def metric_names_in(expr: str) -> set[str]:
    """Metric names used by a PromQL expression (our families start with estate_)."""
    names = set(re.findall(r"\b(estate_[a-z_]+)", expr))
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in names}


def alert_metric_names() -> set[str]:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    return {n for g in rules["groups"] for r in g["rules"] for n in metric_names_in(r["expr"])}


def dashboard_metric_names() -> set[str]:
    dash = json.loads((ROOT / "deploy/grafana/dashboards/estate.json").read_text())
    return {n for p in dash["panels"] for t in p.get("targets", []) for n in metric_names_in(t["expr"])}

"""Issue 25, `estate opening verify`: a drawn opening's lottery recomputed from what `GET /v1/openings/{id}` shows,
with nothing but hashlib and hmac — none of the service's own code — as a buyer, a journalist or the notary would
check it: the entrant digest covers exactly the entrants in the order, each revealed secret hashes to its party's
commitment, the seed follows from the digest and the secrets, and the order and windows follow from the seed."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

import httpx

Check = tuple[str, bool]  # what was checked, and whether it held


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _queue(seed: str, ids: list[str]) -> list[str]:
    ticket = {c: hmac.new(seed.encode("utf-8"), c.encode("utf-8"), hashlib.sha256).hexdigest() for c in ids}
    return sorted(ids, key=lambda c: (ticket[c], c))


def _commitment_checks(opening: dict[str, Any]) -> list[Check]:
    """Two parties or more, a notary's among them, every secret revealed and matching its commitment."""
    parties = opening.get("commitments") or []
    checks = [
        (f"{len(parties)} parties committed, at least two", len(parties) >= 2),
        ("a notary is among them", any(p.get("notary") for p in parties)),
    ]
    for p in parties:
        secret = p.get("secret")
        matches = secret is not None and _sha256(secret) == p["commitment"]
        checks.append((f"party {p['party']!r} revealed a secret that hashes to its commitment", matches))
    return checks


def _seed_checks(opening: dict[str, Any], ids: list[str]) -> list[Check]:
    """The digest of the entrants in the order, and — for an opening drawn by commitments — the seed it derives."""
    checks: list[Check] = []
    digest = opening.get("entrants_digest")
    if digest is not None:
        checks.append(
            ("the entrant digest covers exactly the entrants in the order", _sha256("\n".join(sorted(ids))) == digest)
        )
    parties = opening.get("commitments") or []
    if parties:
        checks += _commitment_checks(opening)
        secrets = [p.get("secret") or "" for p in sorted(parties, key=lambda p: p["party"])]
        seed = _sha256(f"{digest}\n" + "\n".join(secrets))
        checks.append(("the seed is SHA-256 of the digest and the secrets by party name", seed == opening["seed"]))
    return checks


def _order_checks(opening: dict[str, Any], ids: list[str]) -> list[Check]:
    """The queue follows from the seed, and each queue number's window from the opening's terms."""
    order = opening["order"]
    start, minutes, size = (
        datetime.fromisoformat(opening["starts_at"]),
        opening["window_minutes"],
        opening["batch_size"],
    )
    windows_ok = all(
        datetime.fromisoformat(p["window_starts_at"])
        == start + (p["queue_no"] - 1) // size * timedelta(minutes=minutes)
        and datetime.fromisoformat(p["window_ends_at"]) - datetime.fromisoformat(p["window_starts_at"])
        == timedelta(minutes=minutes)
        for p in order
    )
    numbers_ok = [p["queue_no"] for p in order] == list(range(1, len(order) + 1))
    return [
        (f"the queue of {len(ids)} entrants follows from the seed (HMAC-SHA256)", _queue(opening["seed"], ids) == ids),
        ("queue numbers run 1..n", numbers_ok and len(set(ids)) == len(ids) == opening["entrants"]),
        ("each queue number's window follows from starts_at, window_minutes and batch_size", windows_ok),
    ]


def verify(opening: dict[str, Any]) -> list[Check]:
    """Every check of a drawn opening as `GET /v1/openings/{id}` shows it (an undrawn one: one failed check)."""
    if not opening.get("seed") or not opening.get("order"):
        return [(f"the opening is drawn (its status is {opening.get('status')!r})", False)]
    ids = [p["customer_id"] for p in sorted(opening["order"], key=lambda p: p["queue_no"])]
    return _seed_checks(opening, ids) + _order_checks(opening, ids)


def fetch(url: str, opening_id: str, token: str) -> dict[str, Any]:
    """The opening as the service shows it (a token of its project's staff, or of its notary)."""
    answer = httpx.get(f"{url.rstrip('/')}/v1/openings/{opening_id}", headers={"Authorization": f"Bearer {token}"})
    if answer.status_code != 200:
        raise ValueError(f"GET /v1/openings/{opening_id} answered {answer.status_code}: {answer.text[:300]}")
    body: dict[str, Any] = answer.json()
    return body

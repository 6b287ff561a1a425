"""The figures of docs/benchmarks.md, one rule per kind: rates, counts and tps whole (thousands separated); latencies in
ms to one decimal; ratios to three decimals; CPU ms per attempt to two; shares in whole percent; derived estimates
("about") to two significant figures. Markdown tables and verdicts too: every part of the report uses these."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

NONE = "—"


def dec(x: float | int | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(repr(x))


def _fixed(x: float | int | Decimal | None, places: int, sep: bool = True) -> str:
    if x is None:
        return NONE
    q = dec(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q:,.{places}f}" if sep else f"{q:.{places}f}"


def rate(x: float | int | Decimal | None) -> str:
    """Rates, counts and tps: whole, thousands separated (2,835)."""
    return _fixed(x, 0)


def ms(x: float | int | Decimal | None) -> str:
    """Latencies in ms: one decimal (80.2)."""
    return _fixed(x, 1)


def ratio(x: float | int | Decimal | None) -> str:
    """Ratios: three decimals (0.152)."""
    return _fixed(x, 3)


def cpu_ms(x: float | int | Decimal | None) -> str:
    """CPU ms per attempt: two decimals (0.44)."""
    return _fixed(x, 2)


def pct(x: float | int | Decimal | None) -> str:
    """Shares (0.925) as whole percent (93 %)."""
    return NONE if x is None else f"{_fixed(dec(x) * 100, 0)} %"


def about(x: float | int | Decimal) -> str:
    """Derived estimates: two significant figures (3,067 → 3,100; 0.2139 → 0.21)."""
    d = dec(x)
    if d == 0:
        return "0"
    exponent = d.adjusted() - 1
    q = d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    return f"{q:,.{max(0, -exponent)}f}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def at_most(what: str, limit: int) -> str:
    return f"no {what}" if limit == 0 else f"{what} ≤ {rate(limit)}"


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"

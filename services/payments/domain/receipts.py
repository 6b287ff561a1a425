"""The receipt (收据) of money received, as a finance desk prints it (R26): the lines of the form in the order of a
Chinese receipt, each a Chinese label with its English, and the copy mark of every print after the first. Pure:
the paper itself is drawn by `services/payments/paper.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

METHOD_WORDS = {
    "cash": "现金",
    "bank_transfer": "银行转账",
    "card": "刷卡",
    "cheque": "支票",
    "wechat_pay": "微信支付",
    "alipay": "支付宝",
}
KIND_WORDS = {"deposit": "定金", "down_payment": "首期款", "instalment": "分期款", "balance": "尾款"}
TITLE = "收  据"
COPY_MARK = "副本"  # every print after the first (`prints` counts them all, the first included)

Line = tuple[str, str]  # (label, value)


def is_copy(prints: int) -> bool:
    """The first print is the original; every later one says 副本."""
    return prints > 1


def receipt_lines(receipt: dict[str, Any], timezone: str) -> list[Line]:
    """R26: what the printed receipt says, from the receipt as the API answers it: project, unit, what the money is
    for, who paid when not the buyer (R29), the amount in capital numerals and in figures, method, source of funds,
    cheque number or note serials, the verifiers and the issue time in the project's zone."""
    project = receipt["project"]
    lines: list[Line] = [
        ("项目 Project", f"{project['name'] or ''} {project['code']}".strip()),
        ("房号 Unit", receipt["unit_number"] or ""),
        ("款项 For", f"{KIND_WORDS.get(receipt['kind'], '')} {receipt['kind']}".strip()),
    ]
    if receipt.get("payer"):
        payer = receipt["payer"]
        lines.append(("代付人 Paid by", f"{payer['name']}（书面声明 statement {payer.get('statement_ref') or ''}）"))
    lines += _money_lines(receipt)
    if receipt.get("cheque_no"):
        lines.append(("支票号码 Cheque No.", receipt["cheque_no"]))
    if receipt.get("note_serials"):
        lines.append(("外币券号 Note serials", ", ".join(receipt["note_serials"])))
    lines.append(("收款复核 Verified by", " / ".join(v for v in receipt["verified_by"] if v)))
    lines.append(("开具时间 Issued", _local(receipt["issued_at"], timezone)))
    return lines


def _money_lines(receipt: dict[str, Any]) -> list[Line]:
    figures = f"{receipt['currency']} {receipt['amount']}"
    if receipt.get("cny_equivalent"):
        figures += f"（折合人民币 CNY {receipt['cny_equivalent']}）"
    method = receipt["method"]
    return [
        ("金额大写 In words", receipt["amount_in_words"]),
        ("金额小写 In figures", figures),
        ("付款方式 Method", f"{METHOD_WORDS.get(method, '')} {method}".strip()),
        ("资金来源 Source of funds", receipt.get("source_of_funds") or ""),
    ]


def _local(iso: str, timezone: str) -> str:
    local = datetime.fromisoformat(iso).astimezone(ZoneInfo(timezone))
    return f"{local:%Y-%m-%d %H:%M:%S} ({timezone})"


def footer(receipt: dict[str, Any]) -> str:
    """The last line: which print this is, and the issue time exactly as the JSON receipt gives it."""
    return f"第 {receipt['prints']} 次打印 print {receipt['prints']} · issued_at {receipt['issued_at']}"

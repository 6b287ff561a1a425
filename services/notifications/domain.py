"""Reminders (R28, R30, R32): what to send, to whom and when. Quiet hours (R15) are `shared.quiet_hours`. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.kernel.quiet_hours import out_of_quiet_hours

REMIND_AT = time(10, 0)  # a date-only reminder goes out at 10:00 local time
DIGEST_LINES = 40  # consultants named in one digest (a manager runs about thirty)


@dataclass(frozen=True)
class Planned:
    kind: str
    offset: str  # which reminder of its kind: "5d", "2d", "now", …
    due_at: datetime
    recipient: str
    channel: str
    body: str


def at_local(day: date, timezone: str) -> datetime:
    return datetime.combine(day, REMIND_AT, tzinfo=ZoneInfo(timezone))


def down_payment_reminders(
    customer: str, consultant: str | None, amount: str, due: date, timezone: str
) -> list[Planned]:
    """R28: the customer (and the consultant) are reminded 5 and 2 days before the down payment is due."""
    plans = []
    for days in (5, 2):
        when = at_local(due - timedelta(days=days), timezone)
        body = f"【首付提醒】您的首期款 ¥{amount} 将于 {due.isoformat()} 到期，还有 {days} 天，请按时缴纳。"
        plans.append(Planned("down_payment_due", f"{days}d", when, f"customer:{customer}", "sms", body))
        if consultant:
            plans.append(
                Planned(
                    "down_payment_due",
                    f"{days}d-consultant",
                    when,
                    f"staff:{consultant}",
                    "in_app",
                    f"客户首期款 ¥{amount} 将于 {due.isoformat()} 到期（{days} 天后）。",
                )
            )
    return plans


def mortgage_reminders(customer: str, at: datetime, place: str, documents: list[str], timezone: str) -> list[Planned]:
    """R30: 7, 3 and 1 days before the bank appointment, naming the documents, the place and the time."""
    local = at.astimezone(ZoneInfo(timezone))
    docs = "、".join(documents)
    return [
        Planned(
            "mortgage_appointment",
            f"{days}d",
            at - timedelta(days=days),
            f"customer:{customer}",
            "sms",
            f"【按揭提醒】{days} 天后（{local:%Y-%m-%d %H:%M}）请到 {place} 办理按揭，请携带：{docs}。",
        )
        for days in (7, 3, 1)
    ]


def overdue_notice(project_id: str, sale_id: str, amount: str, due: date, now: datetime) -> Planned:
    """R28: a customer who has not paid on time is reported to the project manager at once."""
    return Planned(
        "payment_overdue",
        "now",
        now,
        f"role:manager:{project_id}",
        "in_app",
        f"【逾期】销售 {sale_id} 的首期款 ¥{amount} 已于 {due.isoformat()} 到期未付清，请跟进。",
    )


def cash_not_banked(project_id: str, deposit: dict[str, str], due: datetime, now: datetime) -> list[Planned]:
    """R24: verified cash not banked by its deadline is told once, in the app, to the project's finance staff and
    managers, naming the deposit and its receipt (`deposit`: deposit_id, receipt_no, amount)."""
    body = (
        f"【现金未存】定金 {deposit['deposit_id']}（收据 {deposit['receipt_no']}，¥{deposit['amount']}）的现金应于 "
        f"{due:%Y-%m-%d %H:%M} UTC 前存入银行，至今未存，请两人同行尽快存入 (R24)。"
    )
    return [
        Planned("cash_not_banked", role, now, f"role:{role}:{project_id}", "in_app", body)
        for role in ("finance", "manager")
    ]


def congratulations(customer: str, unit: str, now: datetime) -> Planned:
    """R32: the buyer is congratulated at handover."""
    return Planned(
        "handover_congratulations",
        "now",
        now,
        f"customer:{customer}",
        "wechat",
        f"恭喜您喜提新居 {unit}！欢迎回家，祝您生活美满。",
    )


def callback_reminder(callback_id: str, consultant: str, customer: str, due_at: datetime) -> Planned:
    """R7: the consultant is reminded in the app when a call-back they planned is due (the purpose stays in leads)."""
    body = f"【回电提醒】客户 {customer} 约定的回电时间到了，请现在联系（用途见客户档案）。"
    return Planned("callback", callback_id, due_at, f"staff:{consultant}", "in_app", body)


def referral_rewards(referrer: str, customer: str, reward: str, now: datetime) -> list[Planned]:
    """R34: both the owner who referred and the buyer they brought hear of their reward."""
    return [
        Planned(
            "referral_reward",
            "referrer",
            now,
            f"customer:{referrer}",
            "sms",
            f"【老带新】感谢推荐！您的奖励：{reward}。",
        ),
        Planned(
            "referral_reward",
            "referred",
            now,
            f"customer:{customer}",
            "sms",
            f"【老带新】欢迎入住！您的奖励：{reward}。",
        ),
    ]


def overdue_digest(project_id: str, day: date, overdue: int, lines: list[dict[str, Any]], now: datetime) -> Planned:
    """R13: each morning the project's managers get one digest of the overdue follow-ups per consultant."""
    parts = [
        f"{line.get('consultant_name') or line['consultant_id']} 跟进 {line['followups']}、回电 {line['callbacks']}"
        for line in lines[:DIGEST_LINES]
    ]
    more = f"；另有 {len(lines) - DIGEST_LINES} 位顾问" if len(lines) > DIGEST_LINES else ""
    summary = "；".join(parts) + more if parts else "今天没有逾期的跟进。"
    body = f"【逾期跟进日报 {day.isoformat()}】共 {overdue} 条逾期。{summary}"
    return Planned("overdue_digest", day.isoformat(), now, f"role:manager:{project_id}", "in_app", body)


# Issue 22: the group managers' 日报 goes at 08:30 by contract, inside the default quiet hours (21:00–09:00): quiet
# hours (R15) keep customers and consultants from being disturbed, not the head office's own morning report.
QUIET_HOURS_EXEMPT = frozenset({"daily_report"})
REPORT_FIGURES = (  # what the morning report's message names, in the order a head office reads them
    ("new_customers", "新客"),
    ("visits", "来访"),
    ("calls", "来电"),
    ("calls_within_3_rings", "3声内接听"),
    ("cancellations", "退订"),
    ("handovers", "交房"),
)


def daily_report(org_id: str, name: str | None, day: date, totals: dict[str, Any], now: datetime) -> Planned:
    """Issue 22: an org unit's daily report of `day` (its totals) in its group managers' app, once."""
    deals = "，".join(
        f"{zh} {totals[key]['count']} 套 {totals[key]['area_m2']}㎡ ¥{totals[key]['amount']}"
        for key, zh in (("holds", "锁定"), ("subscriptions", "认购"), ("contracts", "签约"))
    )
    counts = "，".join(f"{zh} {totals[key]}" for key, zh in REPORT_FIGURES)
    money = f"回款 ¥{totals['collected']}，退款 ¥{totals['refunded']}"
    body = f"【集团日报 {day.isoformat()}】{name or org_id}：{counts}；{deals}；{money}。"
    return Planned("daily_report", day.isoformat(), now, f"role:group_manager:{org_id}", "in_app", body)


def send_time(kind: str, moment: datetime, timezone: str, quiet: str) -> datetime:
    """When a message of `kind` due at `moment` may go: out of quiet hours (R15), unless its kind is exempt."""
    return moment if kind in QUIET_HOURS_EXEMPT else out_of_quiet_hours(moment, timezone, quiet)


def project_news(customer: str, new_project_id: str, name: str, send_at: datetime) -> Planned:
    """R33: an owner who consented hears of the group's new project (sent out of quiet hours, R15)."""
    body = f"【新盘资讯】感谢您一直以来的信任！集团新项目「{name}」即将开放，欢迎老业主到访垂询。"
    return Planned("project_news", new_project_id, send_at, f"customer:{customer}", "sms", body)


MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """A failed send waits 30 s, 1 min, 2 min, … (doubling, at most an hour) — never every second."""
    delay: timedelta = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)
    return delay


def settled(amount: object, paid: object) -> bool:
    """R28: the down payment is settled once what was paid reaches what is due (amount known)."""
    return amount is not None and paid is not None and paid >= amount  # type: ignore[operator]

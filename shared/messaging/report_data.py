"""Issue 22, the data of the group's report events (kept beside `event_data`, which holds every other topic's): the
morning report (日报) leads sends each org unit's group managers."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.messaging.event_data import EventData


class DailyReportData(EventData):
    """One org unit's daily report for one local day, from 08:30 in its projects' time zone: its totals (the
    contract's metrics; money and areas as decimal strings) for its group managers' app
    (`role:group_manager:{org_id}`)."""

    org_id: str
    org_name: str | None = None
    date: date
    projects: int  # how many projects the totals sum
    totals: dict[str, Any]

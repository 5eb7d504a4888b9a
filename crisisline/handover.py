"""The out-of-hours rule, in one place: 17:00 to 09:00 on working days, and all of every
weekend day and England and Wales bank holiday."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

DAY_STARTS = datetime.time(9, 0)
DAY_ENDS = datetime.time(17, 0)


def is_working_day(day: datetime.date, bank_holidays: set[datetime.date]) -> bool:
    return day.weekday() < 5 and day not in bank_holidays


def is_out_of_hours(moment: datetime.datetime, bank_holidays: set[datetime.date]) -> bool:
    local = timezone.localtime(moment)
    if not is_working_day(local.date(), bank_holidays):
        return True
    return not (DAY_STARTS <= local.time() < DAY_ENDS)


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


@dataclass(frozen=True)
class HandoverWindow:
    starts: datetime.datetime
    ends: datetime.datetime
    in_progress: bool  # the out-of-hours period has not finished yet


def last_working_day_before(day: datetime.date, bank_holidays: set[datetime.date]) -> datetime.date:
    previous = day - datetime.timedelta(days=1)
    while not is_working_day(previous, bank_holidays):
        previous -= datetime.timedelta(days=1)
    return previous


def handover_window(now: datetime.datetime, bank_holidays: set[datetime.date]) -> HandoverWindow:
    """The out-of-hours period the day team hands over from: during the working day, the one
    that ended at 09:00; out of hours, the one still going on."""
    local = timezone.localtime(now)
    today, time = local.date(), local.time()
    if is_working_day(today, bank_holidays):
        if DAY_STARTS <= time < DAY_ENDS:
            starts = _at(last_working_day_before(today, bank_holidays), DAY_ENDS)
            return HandoverWindow(starts=starts, ends=_at(today, DAY_STARTS), in_progress=False)
        if time >= DAY_ENDS:
            return HandoverWindow(starts=_at(today, DAY_ENDS), ends=now, in_progress=True)
    starts = _at(last_working_day_before(today, bank_holidays), DAY_ENDS)
    return HandoverWindow(starts=starts, ends=now, in_progress=True)

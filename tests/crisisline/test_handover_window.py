import datetime
import zoneinfo

import pytest

from crisisline.handover import handover_window, is_out_of_hours

LONDON = zoneinfo.ZoneInfo("Europe/London")
# Monday 23 November 2026 is an ordinary working day; 25 December 2026 a Friday bank holiday.
BANK_HOLIDAYS = {datetime.date(2026, 12, 25), datetime.date(2026, 12, 28)}


def at(day, hour, minute=0):
    return datetime.datetime(2026, *day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("moment", "out_of_hours"),
    [
        (at((11, 23), 8, 59), True),
        (at((11, 23), 9, 0), False),  # 09:00 is the start of the day team
        (at((11, 23), 16, 59), False),
        (at((11, 23), 17, 0), True),  # 17:00 is the start of out of hours
        (at((11, 21), 12, 0), True),  # Saturday
        (at((11, 22), 12, 0), True),  # Sunday
        (at((12, 25), 12, 0), True),  # Christmas Day (bank holiday)
        (at((12, 28), 12, 0), True),  # Boxing Day substitute
        (at((12, 29), 12, 0), False),
    ],
)
def test_out_of_hours_edges(moment, out_of_hours):
    assert is_out_of_hours(moment, BANK_HOLIDAYS) is out_of_hours


def test_during_the_day_the_window_is_last_night():
    window = handover_window(at((11, 24), 10, 0), BANK_HOLIDAYS)  # Tuesday
    assert window.starts == at((11, 23), 17, 0)
    assert window.ends == at((11, 24), 9, 0)
    assert not window.in_progress


def test_monday_morning_covers_the_whole_weekend():
    window = handover_window(at((11, 23), 9, 30), BANK_HOLIDAYS)
    assert window.starts == at((11, 20), 17, 0)  # Friday 17:00
    assert window.ends == at((11, 23), 9, 0)


def test_after_christmas_the_window_covers_the_bank_holidays_and_weekend():
    window = handover_window(at((12, 29), 9, 15), BANK_HOLIDAYS)  # Tuesday after two holidays
    assert window.starts == at((12, 24), 17, 0)  # Thursday 24 December, 17:00
    assert window.ends == at((12, 29), 9, 0)


def test_at_17_00_exactly_a_new_window_begins():
    window = handover_window(at((11, 24), 17, 0), BANK_HOLIDAYS)
    assert window.starts == at((11, 24), 17, 0)
    assert window.in_progress


def test_at_08_59_the_night_is_still_going_on():
    now = at((11, 24), 8, 59)
    window = handover_window(now, BANK_HOLIDAYS)
    assert window.starts == at((11, 23), 17, 0)
    assert window.ends == now
    assert window.in_progress


def test_on_a_saturday_the_window_started_on_friday_evening():
    window = handover_window(at((11, 21), 14, 0), BANK_HOLIDAYS)
    assert window.starts == at((11, 20), 17, 0)
    assert window.in_progress


def test_clock_change_week_keeps_local_times():
    # Sunday 29 March 2026 the clocks go forward; the windows stay at 17:00 and 09:00 London time.
    window = handover_window(datetime.datetime(2026, 3, 30, 10, 0, tzinfo=LONDON), set())
    assert window.starts == datetime.datetime(2026, 3, 27, 17, 0, tzinfo=LONDON)
    assert window.ends == datetime.datetime(2026, 3, 30, 9, 0, tzinfo=LONDON)

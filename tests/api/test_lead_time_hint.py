"""The request form's lead-time hint names the earliest pick-up that is within the centre's opening hours.

The caravan needs 72 hours' notice. Asked late on Monday evening, 72 hours later is Thursday 23:30, rounded to
Friday 00:00: the hint used to name that closed hour. It now names Friday 09:00 (Dampoort opens then), the same
moment the lead-time refusal names, and a request for that moment is accepted. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from services.booking.domain.requests import earliest_pickup
from services.booking.models import InvAsset, InvLocation
from shared import clock
from shared.clock import BRUSSELS
from tests.api.test_embedded_refusals import FORM, caravan
from tests.support.embedded import Embedded

pytestmark = [pytest.mark.postgres]

# Dampoort: Monday to Friday 09-12, afternoons 13-17 but Wednesday, Saturday 10-13 (services/inventory/demo.py)
DAMPOORT = InvLocation(
    id=1,
    code="bc-dampoort",
    name="Dampoort",
    opening_hours=[
        *({"weekday": d, "opens": "09:00", "closes": "12:00"} for d in range(5)),
        *({"weekday": d, "opens": "13:00", "closes": "17:00"} for d in (0, 1, 3, 4)),
        {"weekday": 5, "opens": "10:00", "closes": "13:00"},
    ],
)
CARAVAN = InvAsset(id=1, lead_time_hours=72)


def brussels(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (brussels(4, 23, 30), brussels(8, 9)),  # Thu 23:30 → Fri 00:00 is closed: Friday's opening
        (brussels(3, 12, 30), brussels(7, 9)),  # Wed 13:00: Wednesday afternoon is closed → Thursday 09:00
        (brussels(4, 8), brussels(7, 9)),  # Thu 08:00, before opening → 09:00
        (brussels(4, 10, 15), brussels(7, 11)),  # Thu 11:00 is open: the full hour itself
        (brussels(5, 11, 30), brussels(8, 13)),  # Fri 12:00 is the lunch break: 13:00
        (brussels(7, 15, 30), brussels(11, 9)),  # Sun 16:00: closed on Sunday → Monday 09:00
    ],
)
def test_the_earliest_pickup_is_within_the_opening_hours(now: datetime, expected: datetime) -> None:
    assert earliest_pickup(CARAVAN, now, DAMPOORT) == expected


def test_over_a_weekend_and_a_holiday_the_earliest_pickup_is_the_next_opening() -> None:
    # Friday 19 April 2030 16:30 + 72 h = Monday 22 April 16:30 → 17:00, closing time; and that Monday is Easter
    # Monday (a legal holiday): Tuesday 23 April 09:00
    friday = datetime(2030, 4, 19, 16, 30, tzinfo=BRUSSELS)
    assert earliest_pickup(CARAVAN, friday, DAMPOORT) == datetime(2030, 4, 23, 9, 0, tzinfo=BRUSSELS)
    # without a timetable (by appointment) the full hour itself
    assert earliest_pickup(CARAVAN, brussels(4, 23, 30), None) == brussels(8, 0)


def test_the_form_names_an_open_hour_and_accepts_it(demo_suite: Embedded) -> None:
    clock.set_clock(brussels(4, 23, 30))
    client = demo_suite.client()
    page = client.get(FORM).get_data(as_text=True)
    assert "ten vroegste ophalen op vrijdag 8 maart 2030 om 09:00" in page
    assert "om 00:00" not in page

    too_soon = client.post(FORM, data=caravan(page, pickup_date="2030-03-07", pickup_time="10:00"))
    assert too_soon.status_code == 422
    assert "ten vroegste ophalen op vrijdag 8 maart 2030 om 09:00" in too_soon.get_data(as_text=True)

    english = client.get(FORM + "?lang=en").get_data(as_text=True)
    assert "8 March 2030 at 09:00" in english and "Friday" in english

    accepted = client.post(FORM, data=caravan(page, pickup_date="2030-03-08", pickup_time="09:00"))
    assert accepted.status_code == 303

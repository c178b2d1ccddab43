"""Loans whose pick-up or return falls on a day their centre is closed, as staff see them (one statement).

A closure (inventory's, a Christmas break or a staff day) may be planned after a loan was approved for those
days, and a loan approved before the holiday rule may fall on a legal holiday. Submission refuses such days
(``opening_spans``), but nothing moves an approved loan by itself: staff must phone and move it. The loans are
read live, so the flag goes once the loan is moved, cancelled or the closure removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.domain.holidays import holiday_on
from services.booking.domain.requests import closure_on, opening_spans
from services.booking.domain.vocabulary import Status
from services.booking.models import BookingRequest, Centres, InvLocation
from shared.clock import to_local


@dataclass(frozen=True)
class ClosedDayFlag:
    request_id: int
    reference: str
    moment: str  # pickup | return
    day: date
    location: InvLocation
    closure_reason: str | None  # the centre's own closure; None on a legal holiday
    holiday: str | None  # the legal holiday's code, when it is one


_LOANS = sa.select(
    BookingRequest.id,
    BookingRequest.reference,
    BookingRequest.status,
    BookingRequest.location_id,
    BookingRequest.pickup_at,
    BookingRequest.return_at,
).where(
    BookingRequest.status.in_([Status.APPROVED, Status.PICKED_UP, Status.OVERDUE]),
    BookingRequest.return_at > sa.bindparam("now"),
)


def loans_on_closed_days(
    session: Session, centres: Centres, now: datetime, locations: Mapping[int, InvLocation]
) -> list[ClosedDayFlag]:
    """The reader's centres' coming pick-ups and returns on a closed day, soonest first (``locations`` by id,
    as the page has read them)."""
    query = _LOANS if centres is None else _LOANS.where(BookingRequest.location_id.in_(sorted(centres) or [-1]))
    flags = []
    for request_id, reference, status, location_id, pickup_at, return_at in session.execute(query, {"now": now}):
        location = locations.get(location_id)
        if location is None:
            continue
        moments = (
            [("return", return_at)] if status != Status.APPROVED else [("pickup", pickup_at), ("return", return_at)]
        )
        for moment, instant in moments:
            day = to_local(instant).date()
            if instant > now and opening_spans(location, day) == []:
                closure = closure_on(location, day)
                holiday = holiday_on(day)
                flags.append(
                    ClosedDayFlag(
                        request_id,
                        reference,
                        moment,
                        day,
                        location,
                        closure["reason"] if closure else None,
                        str(holiday) if holiday and not closure else None,
                    )
                )
    return sorted(flags, key=lambda f: (f.day, f.reference, f.moment))

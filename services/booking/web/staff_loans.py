"""Staff pages about loans: hand-over (the requirement checklist) and return (condition notes), and the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, render_template, request
from werkzeug.wrappers import Response

from services.booking.domain import decisions
from services.booking.domain.errors import RequestNotFound
from services.booking.models import Allocation, BookingRequest, InvAsset, InvMaintenanceWindow
from services.booking.web.i18n import in_language
from services.booking.web.staff import _act, _principal, blp, requirement_labels
from shared import clock
from shared.auth import Principal
from shared.clock import BRUSSELS
from shared.db import get_session
from shared.timeparse import parse_day


def _mine(query: sa.Select[Any], principal: Principal) -> sa.Select[Any]:
    if principal.is_admin:
        return query
    return query.where(BookingRequest.location_id.in_(sorted(principal.location_ids) or [-1]))


def _asset_names(db: Any) -> dict[int, str]:
    return {a.id: in_language(a.name_nl, a.name_en) for a in db.scalars(sa.select(InvAsset))}


@blp.get("/uitlenen")
def loans() -> str:
    """Hand over what is approved, take back what is out; overdue loans first, in red."""
    db = get_session()
    principal = _principal()
    base = sa.select(BookingRequest)
    to_hand_over = db.scalars(
        _mine(base.where(BookingRequest.status == "approved"), principal).order_by(BookingRequest.pickup_at)
    ).all()
    out = db.scalars(
        _mine(base.where(BookingRequest.status.in_(("picked_up", "overdue"))), principal).order_by(
            BookingRequest.return_at
        )
    ).all()
    now = clock.now()
    return render_template(
        "staff/loans.html",
        to_hand_over=to_hand_over,
        out=out,
        now=now,
        names=_asset_names(db),
        labels=requirement_labels(db),
    )


@blp.post("/aanvragen/<int:request_id>/meegeven")
def hand_over(request_id: int) -> Response:
    checks = {key.removeprefix("check-"): True for key in request.form if key.startswith("check-")}
    db = get_session()
    try:
        booking = decisions.get_request(db, request_id)
    except RequestNotFound:
        abort(404)
    for item in booking.items:
        for requirement in item.requirements:
            checks.setdefault(requirement.code, False)
    db.rollback()
    notes = request.form.get("notes", "").strip() or None
    return _act(request_id, decisions.pick_up, checks, notes, to="staff.loans")


@blp.post("/aanvragen/<int:request_id>/terugnemen")
def take_back(request_id: int) -> Response:
    condition = request.form.get("condition", "").strip() or None
    damage = request.form.get("damage", "").strip() or None
    return _act(request_id, decisions.take_back, condition, damage, to="staff.loans")


@blp.post("/aanvragen/<int:request_id>/annuleren")
def cancel(request_id: int) -> Response:
    """The borrower called it off, or the asset broke down: the loan is cancelled and the asset free again."""
    return _act(request_id, decisions.cancel, request.form.get("reason", "").strip() or None, to="staff.loans")


# --- calendar ------------------------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BRUSSELS).astimezone(UTC)


@blp.get("/kalender")
def calendar() -> str:
    """All assets, a week or a month: bookings (with their turnaround) and maintenance windows per day."""
    db = get_session()
    view = "maand" if request.args.get("weergave") == "maand" else "week"
    today = clock.to_local(clock.now()).date()
    try:
        anchor = parse_day(request.args.get("vanaf", ""))
    except ValueError:
        anchor = today
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        days = [first + timedelta(days=i) for i in range(7)]
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        days = [first + timedelta(days=i) for i in range((following - first).days)]
        previous = (first - timedelta(days=1)).replace(day=1)
    start, end = _midnight(days[0]), _midnight(days[-1] + timedelta(days=1))
    assets = list(db.scalars(sa.select(InvAsset).where(InvAsset.status == "active").order_by(InvAsset.name_nl)))
    rows = []
    for asset in assets:
        cells: list[list[dict[str, Any]]] = [[] for _ in days]
        allocations = db.execute(
            sa.select(Allocation, BookingRequest)
            .join(BookingRequest, BookingRequest.id == Allocation.request_id)
            .where(
                Allocation.asset_id == asset.id,
                Allocation.active.is_(True),
                Allocation.blocked_from < end,
                start < Allocation.blocked_until,
            )
        ).all()
        windows = db.scalars(
            sa.select(InvMaintenanceWindow).where(
                InvMaintenanceWindow.asset_id == asset.id,
                InvMaintenanceWindow.removed_at.is_(None),
                InvMaintenanceWindow.starts_at < end,
                start < InvMaintenanceWindow.ends_at,
            )
        ).all()
        for index, day in enumerate(days):
            day_start, day_end = _midnight(day), _midnight(day + timedelta(days=1))
            for allocation, booking in allocations:
                if allocation.blocked_from < day_end and day_start < allocation.blocked_until:
                    loan = booking.pickup_at < day_end and day_start < booking.return_at
                    cells[index].append({"kind": "loan" if loan else "buffer", "booking": booking})
            for window in windows:
                if window.starts_at < day_end and day_start < window.ends_at:
                    cells[index].append({"kind": "maintenance", "window": window})
        rows.append({"asset": asset, "name": in_language(asset.name_nl, asset.name_en), "cells": cells})
    return render_template(
        "staff/calendar.html",
        view=view,
        days=days,
        rows=rows,
        today=today,
        first=days[0],
        previous=previous,
        following=following,
    )

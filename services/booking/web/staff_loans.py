"""Staff pages about loans: hand-over (the requirement checklist) and return (condition notes), and the calendar."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from werkzeug.wrappers import Response

from services.booking.domain.commands import Cancel, PickUp, Return
from services.booking.queries import calendar as calendar_reads
from services.booking.queries import requests as reads
from services.booking.web import forms
from services.booking.web.staff import blp, decide, principal
from shared import clock
from shared.db import get_session
from shared.timeparse import parse_day


@blp.get("/uitlenen")
def loans() -> str:
    """Hand over what is approved, take back what is out; overdue loans first, in red."""
    db = get_session()
    desk = reads.loans_desk(db, reads.centres_of(principal()))
    return render_template(
        "staff/loans.html",
        to_hand_over=desk.to_hand_over,
        out=desk.out,
        now=clock.now(),
        names=desk.asset_names,
        labels=forms.requirement_labels(db, desk.codes),
    )


def _text(name: str) -> str | None:
    return request.form.get(name, "").strip() or None


@blp.post("/aanvragen/<int:request_id>/meegeven")
def hand_over(request_id: int) -> Response:
    """Every requirement must be ticked as checked; a check not done needs the reason it goes out anyway."""
    ticked = {key.removeprefix("check-"): True for key in request.form if key.startswith("check-")}
    command = PickUp(checks=ticked, notes=_text("notes"), override_reason=_text("override_reason"))
    return decide(request_id, command, to="staff.loans")


@blp.post("/aanvragen/<int:request_id>/terugnemen")
def take_back(request_id: int) -> Response:
    return decide(request_id, Return(_text("condition"), _text("damage")), to="staff.loans")


@blp.post("/aanvragen/<int:request_id>/annuleren")
def cancel(request_id: int) -> Response:
    """The borrower called it off, or the asset broke down: the loan is cancelled and the asset free again."""
    return decide(request_id, Cancel(_text("reason")), to="staff.loans")


@blp.get("/kalender")
def calendar() -> str:
    """All assets, a week or a month: bookings (with their turnaround) and maintenance windows per day."""
    view = "maand" if request.args.get("weergave") == "maand" else "week"
    today = clock.to_local(clock.now()).date()
    try:
        anchor = parse_day(request.args.get("vanaf", ""))
    except ValueError:
        anchor = today
    grid = calendar_reads.staff_calendar(get_session(), view == "maand", anchor, reads.centres_of(principal()))
    return render_template(
        "staff/calendar.html",
        view=view,
        days=grid.days,
        rows=grid.rows,
        agenda=month_agenda(grid.days, grid.rows) if view == "maand" else [],
        today=today,
        first=grid.days[0],
        previous=grid.previous,
        following=grid.following,
    )


def month_agenda(days: list[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The month as a list per asset: each loan and maintenance window once, with its first and last day in the
    month, in words and linked (31 day columns left each loan a fragment of its reference, clipped on a screen)."""
    agenda = []
    for row in rows:
        spans: dict[tuple[str, int], dict[str, Any]] = {}
        for day, cell in zip(days, row["cells"], strict=True):
            for entry in cell:
                if entry["kind"] == "buffer":
                    continue
                key = (
                    ("maintenance", entry["window"].id)
                    if entry["kind"] == "maintenance"
                    else ("loan", entry["booking"].id)
                )
                span = spans.setdefault(key, {**entry, "first": day, "last": day})
                span["last"] = day
        agenda.append({"asset": row["asset"], "spans": sorted(spans.values(), key=lambda span: span["first"])})
    return agenda

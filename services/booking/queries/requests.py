"""Reading requests: lists and search, one request, what competes with it, an initiative's history and contacts.

Personal data never leaves the reader's centres: every query that returns requesters takes the reader's
``Centres`` (``centres_of(principal)``; None only for an administrator) and filters with
``BookingRequest.within``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from services.booking.domain.conflicts import blocked_range, overlaps
from services.booking.domain.contact_history import calls_of
from services.booking.domain.decisions import get_request, unmet_requirements
from services.booking.domain.errors import NotYourCentre
from services.booking.domain.links import request_id_for_token
from services.booking.domain.vocabulary import OUT, Status
from services.booking.models import (
    Allocation,
    AuditEntry,
    BookingRequest,
    Centres,
    ContactCall,
    Initiative,
    InvAsset,
    InvLocation,
    InvMaintenanceWindow,
    RequestItem,
)
from services.booking.queries.closed_days import ClosedDayFlag, loans_on_closed_days
from services.booking.queries.shortfalls import ShortfallFlag, shortfall_flags
from shared import clock
from shared.auth import Principal


def centres_of(principal: Principal | None) -> Centres:
    """The centres whose requesters a reader may see: None (all) for an administrator, none for the public."""
    if principal is None:
        return frozenset()
    return None if principal.is_admin else principal.location_ids


@dataclass(frozen=True)
class RequestFilter:
    centres: Centres  # None: every centre (an administrator); otherwise only requests of these centres
    status: str | None = None
    asset_id: int | None = None
    location_id: int | None = None
    starts: datetime | None = None
    ends: datetime | None = None
    text: str | None = None


def _with_items(query: sa.Select[Any]) -> sa.Select[Any]:
    return query.options(
        selectinload(BookingRequest.items).selectinload(RequestItem.requirements),
        selectinload(BookingRequest.initiative),
    )


def filtered_requests_query(filters: RequestFilter) -> sa.Select[Any]:
    query = _with_items(sa.select(BookingRequest)).where(BookingRequest.within(filters.centres))
    if filters.status:
        query = query.where(BookingRequest.status == filters.status)
    if filters.location_id is not None:
        query = query.where(BookingRequest.location_id == filters.location_id)
    if filters.asset_id is not None:
        query = query.where(BookingRequest.items.any(RequestItem.asset_id == filters.asset_id))
    if filters.starts is not None:
        query = query.where(BookingRequest.return_at > filters.starts)
    if filters.ends is not None:
        query = query.where(BookingRequest.pickup_at < filters.ends)
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.join(Initiative, Initiative.id == BookingRequest.initiative_id).where(
            sa.or_(
                BookingRequest.reference.ilike(pattern, escape="\\"),
                BookingRequest.contact_name.ilike(pattern, escape="\\"),
                BookingRequest.purpose.ilike(pattern, escape="\\"),
                Initiative.name.ilike(pattern, escape="\\"),
            )
        )
    return query.order_by(BookingRequest.pickup_at, BookingRequest.id)


def pending(session: Session, centres: Centres) -> list[BookingRequest]:
    """Requests waiting for a decision, oldest first (the staff dashboard)."""
    query = filtered_requests_query(RequestFilter(centres=centres, status=Status.REQUESTED))
    query = query.order_by(None).order_by(BookingRequest.created_at, BookingRequest.id)
    return list(session.scalars(query).unique())


def to_hand_over(session: Session, centres: Centres) -> list[BookingRequest]:
    query = filtered_requests_query(RequestFilter(centres=centres, status=Status.APPROVED))
    return list(session.scalars(query).unique())


def out_on_loan(session: Session, centres: Centres) -> list[BookingRequest]:
    """Loans away with their borrowers, the one due back first on top (overdue ones first of all)."""
    query = _with_items(sa.select(BookingRequest)).where(
        BookingRequest.within(centres), BookingRequest.status.in_([str(s) for s in OUT])
    )
    return list(session.scalars(query.order_by(BookingRequest.return_at, BookingRequest.id)).unique())


def asset_names(session: Session, requests: list[BookingRequest]) -> dict[int, tuple[str, str]]:
    """(name_nl, name_en) of every asset these requests ask for, in one statement."""
    ids = sorted({item.asset_id for r in requests for item in r.items})
    if not ids:
        return {}
    return {a.id: (a.name_nl, a.name_en) for a in session.scalars(sa.select(InvAsset).where(InvAsset.id.in_(ids)))}


def _codes(requests: list[BookingRequest]) -> set[str]:
    return {req.code for r in requests for item in r.items for req in item.requirements}


@dataclass(frozen=True)
class Card:
    request: BookingRequest
    competition: dict[str, Any]
    location: InvLocation | None


@dataclass(frozen=True)
class Dashboard:
    cards: list[Card]
    asset_names: dict[int, tuple[str, str]]
    codes: set[str]
    # the reader's centres without an e-mail address: their staff alerts (new request, escalation, digest) are
    # skipped by notify until one is set
    without_email: list[InvLocation]
    # assets at the reader's centres with fewer units than their loans promise (inventory lowered the quantity)
    shortfalls: list[ShortfallFlag]
    # coming pick-ups and returns on a day their centre is closed (a closure planned after the approval)
    closed_days: list[ClosedDayFlag]


def dashboard(session: Session, centres: Centres) -> Dashboard:
    """What waits for a decision at the reader's centres, oldest first, each with what competes with it."""
    waiting = pending(session, centres)
    locations = {loc.id: loc for loc in session.scalars(sa.select(InvLocation).order_by(InvLocation.name))}
    competing = competitions(session, waiting)
    cards = [Card(r, competing[r.id], locations.get(r.location_id)) for r in waiting]
    silent = [loc for loc in locations.values() if not loc.email and (centres is None or loc.id in centres)]
    now = clock.now()
    short = shortfall_flags(session, centres, now)
    closed = loans_on_closed_days(session, centres, now, locations)
    return Dashboard(cards, asset_names(session, waiting), _codes(waiting), silent, short, closed)


@dataclass(frozen=True)
class LoansDesk:
    to_hand_over: list[BookingRequest]
    out: list[BookingRequest]
    asset_names: dict[int, tuple[str, str]]
    codes: set[str]


def loans_desk(session: Session, centres: Centres) -> LoansDesk:
    """What to hand over and what to take back at the reader's centres."""
    ready, away = to_hand_over(session, centres), out_on_loan(session, centres)
    return LoansDesk(ready, away, asset_names(session, ready + away), _codes(ready + away))


def request_for_staff(session: Session, request_id: int, principal: Principal) -> BookingRequest:
    """A request as its centre's staff (or an admin) may see it. Raises RequestNotFound, NotYourCentre."""
    request = get_request(session, request_id)
    if not principal.works_at(request.location_id):
        raise NotYourCentre()
    return request


@dataclass(frozen=True)
class StaffRequest:
    """One request as its centre's staff see it, with what they need to decide."""

    request: BookingRequest
    competition: dict[str, Any]
    initiative_history: list[dict[str, Any]]
    initiative_contacts: list[dict[str, Any]]


def request_in_context(session: Session, request_id: int, principal: Principal) -> StaffRequest:
    """The request, what competes with it, and the initiative's history and contacts at the reader's centres.

    Raises RequestNotFound, NotYourCentre.
    """
    request = request_for_staff(session, request_id, principal)
    centres = centres_of(principal)
    return StaffRequest(
        request,
        competition(session, request),
        initiative_history(session, request.initiative_id, request.id, centres),
        initiative_contacts(session, request.initiative_id, centres),
    )


@dataclass(frozen=True)
class RequestPage:
    """Everything a request's page shows: the request in context, its whole audit trail, its assets' names."""

    context: StaffRequest
    audit: list[AuditEntry]
    asset_names: dict[int, tuple[str, str]]
    codes: set[str]
    shortfalls: list[ShortfallFlag]  # its assets' shortfalls that concern this request
    # the calls staff noted on notify's call list (booking's copy, from notify.call.recorded)
    calls: list[ContactCall] = field(default_factory=list)


def request_page(session: Session, request_id: int, principal: Principal) -> RequestPage:
    """One request as its centre's staff see it on its page. Raises RequestNotFound, NotYourCentre."""
    found = request_in_context(session, request_id, principal)
    mentioned = [found.request]
    short = shortfall_flags(
        session, centres_of(principal), clock.now(), asset_ids=[item.asset_id for item in found.request.items]
    )
    return RequestPage(
        found,
        audit_trail(session, request_id),
        asset_names(session, mentioned),
        _codes(mentioned),
        [flag for flag in short if request_id in flag.shortfall.request_ids],
        calls_of(session, request_id),
    )


@dataclass(frozen=True)
class InitiativePage:
    initiative: Initiative
    requests: list[dict[str, Any]]
    contacts: list[dict[str, Any]]


def initiative_page(session: Session, initiative_id: int, centres: Centres) -> InitiativePage | None:
    """An initiative's requests and contact persons at the reader's centres; None when it has no request there
    (then the reader learns nothing of it, not even that it exists)."""
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        return None
    history = initiative_history(session, initiative_id, None, centres, limit=200)
    if not history:
        return None
    return InitiativePage(initiative, history, initiative_contacts(session, initiative_id, centres))


def audit_for_staff(session: Session, request_id: int, principal: Principal) -> list[AuditEntry]:
    """The whole audit trail, for the request's centre's staff. Raises RequestNotFound, NotYourCentre."""
    request_for_staff(session, request_id, principal)
    return audit_trail(session, request_id)


def request_id_for_reference(session: Session, reference: str) -> int | None:
    """The id of the request with this reference (UIT-7K3M9Q2P; case does not matter), if any."""
    found = session.scalar(sa.select(BookingRequest.id).where(BookingRequest.reference == reference.strip().upper()))
    return int(found) if found is not None else None


def request_for_link(session: Session, token: str) -> BookingRequest:
    """The request a private link leads to. Raises LinkNotFound (forged, expired and revoked alike)."""
    return get_request(session, request_id_for_token(session, token))


def requester_history(session: Session, request_id: int) -> list[AuditEntry]:
    """What the requester sees of the audit trail (not staff's internal steps), oldest first."""
    query = sa.select(AuditEntry).where(AuditEntry.request_id == request_id, AuditEntry.shown_to_requester())
    return list(session.scalars(query.order_by(AuditEntry.id)))


def audit_trail(session: Session, request_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(sa.select(AuditEntry).where(AuditEntry.request_id == request_id).order_by(AuditEntry.id))
    )


def competition(session: Session, request: BookingRequest) -> dict[str, Any]:
    """For a pending request: the bookings in its way, the other pending requests it competes with,
    the maintenance planned then, and its unmet requirements."""
    return competitions(session, [request])[request.id]


@dataclass(frozen=True)
class _Span:
    """One item's asset and the range it would block (its loan with the asset's turnaround)."""

    asset: InvAsset
    start: datetime
    end: datetime


def competitions(session: Session, requests: list[BookingRequest]) -> dict[int, dict[str, Any]]:
    """``competition`` of each request, read in five statements for any number of requests: the assets, the
    allocations, the pending requests and the maintenance over the whole range they span, then the windows that
    hit their own allocations; each request's share is picked out with the same overlap rule."""
    if not requests:
        return {}
    asset_ids = sorted({item.asset_id for r in requests for item in r.items})
    assets = {a.id: a for a in session.scalars(sa.select(InvAsset).where(InvAsset.id.in_(asset_ids)))}
    spans: dict[int, list[tuple[RequestItem, _Span]]] = {}
    for r in requests:
        spans[r.id] = [
            (item, _Span(assets[item.asset_id], *blocked_range(assets[item.asset_id], r.pickup_at, r.return_at, False)))
            for item in r.items
            if item.asset_id in assets
        ]
    every = [span for pairs in spans.values() for _, span in pairs]
    if not every:
        return {r.id: _competition(r, [], [], [], maintenance_hits_of({}, r.id)) for r in requests}
    start = min(s.start - timedelta(hours=s.asset.turnaround_after_hours) for s in every)
    end = max(s.end + timedelta(hours=s.asset.turnaround_before_hours) for s in every)
    ids = sorted({s.asset.id for s in every})
    allocations = list(
        session.execute(
            sa.select(Allocation, BookingRequest.reference)
            .join(BookingRequest, BookingRequest.id == Allocation.request_id)
            .where(Allocation.asset_id.in_(ids), Allocation.holding(start, end))
            .order_by(Allocation.id)
        )
    )
    others = list(
        session.execute(
            sa.select(BookingRequest, RequestItem.asset_id)
            .join(RequestItem, RequestItem.request_id == BookingRequest.id)
            .where(
                RequestItem.asset_id.in_(ids),
                BookingRequest.status == Status.REQUESTED,
                BookingRequest.pickup_at < end,
                start < BookingRequest.return_at,
            )
            .order_by(BookingRequest.id)
        )
    )
    windows = list(
        session.scalars(
            sa.select(InvMaintenanceWindow)
            .where(InvMaintenanceWindow.asset_id.in_(ids), InvMaintenanceWindow.in_force(start, end))
            .order_by(InvMaintenanceWindow.starts_at)
        )
    )
    hits = _maintenance_hits(session, [r.id for r in requests])
    result = {}
    for r in requests:
        bookings: list[dict[str, Any]] = []
        pending_ones: list[dict[str, Any]] = []
        maintenance: list[dict[str, Any]] = []
        for _, span in spans[r.id]:
            asset = span.asset
            bookings += [
                {
                    "asset_id": asset.id,
                    "request_id": allocation.request_id,
                    "reference": reference,
                    "quantity": allocation.quantity,
                    "blocked_from": allocation.blocked_from.isoformat(),
                    "blocked_until": allocation.blocked_until.isoformat(),
                }
                for allocation, reference in allocations
                if allocation.asset_id == asset.id
                and allocation.request_id != r.id
                and overlaps(allocation.blocked_from, allocation.blocked_until, span.start, span.end)
            ]
            # another pending request competes when its loan, with the buffers, would touch this one's
            before, after = (
                timedelta(hours=asset.turnaround_before_hours),
                timedelta(hours=asset.turnaround_after_hours),
            )
            pending_ones += [
                {
                    "asset_id": asset.id,
                    "request_id": other.id,
                    "reference": other.reference,
                    "pickup_at": other.pickup_at.isoformat(),
                    "return_at": other.return_at.isoformat(),
                }
                for other, other_asset in others
                if other_asset == asset.id
                and other.id != r.id
                and overlaps(other.pickup_at, other.return_at, span.start - after, span.end + before)
            ]
            maintenance += [
                _window(w)
                for w in windows
                if w.asset_id == asset.id and overlaps(w.starts_at, w.ends_at, span.start, span.end)
            ]
        result[r.id] = _competition(r, bookings, pending_ones, maintenance, maintenance_hits_of(hits, r.id))
    return result


def _competition(
    request: BookingRequest,
    bookings: list[dict[str, Any]],
    pending_ones: list[dict[str, Any]],
    maintenance: list[dict[str, Any]],
    hits: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "conflicting_bookings": bookings,
        "competing_requests": pending_ones,
        "maintenance": maintenance,
        "unmet_requirements": unmet_requirements(request),
        "maintenance_hits": hits,
    }


def _window(window: InvMaintenanceWindow) -> dict[str, Any]:
    return {
        "asset_id": window.asset_id,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "reason": window.reason,
    }


def initiative_contacts(session: Session, initiative_id: int, centres: Centres) -> list[dict[str, Any]]:
    """The initiative's contact persons as they appeared on its requests at the reader's centres (latest first)."""
    query = (
        sa.select(BookingRequest.contact_name, BookingRequest.contact_email, BookingRequest.contact_phone)
        .where(
            BookingRequest.initiative_id == initiative_id,
            BookingRequest.anonymised_at.is_(None),
            BookingRequest.within(centres),
        )
        .order_by(BookingRequest.created_at.desc(), BookingRequest.id.desc())
    )
    seen: dict[str, dict[str, Any]] = {}
    for name, email, phone in session.execute(query):
        seen.setdefault(name.casefold(), {"name": name, "email": email, "phone": phone})
    return list(seen.values())


def initiative_history(
    session: Session, initiative_id: int, except_request_id: int | None, centres: Centres, limit: int = 20
) -> list[dict[str, Any]]:
    """The initiative's (other) requests at the reader's centres, newest first (damage notes included)."""
    query = sa.select(BookingRequest).where(
        BookingRequest.initiative_id == initiative_id, BookingRequest.within(centres)
    )
    if except_request_id is not None:
        query = query.where(BookingRequest.id != except_request_id)
    query = query.order_by(BookingRequest.pickup_at.desc(), BookingRequest.id.desc()).limit(limit)
    return [
        {
            "request_id": r.id,
            "reference": r.reference,
            "status": r.status,
            "pickup_at": r.pickup_at.isoformat(),
            "return_at": r.return_at.isoformat(),
            "damage": r.damage,
        }
        for r in session.scalars(query)
    ]


def maintenance_hits(session: Session, request: BookingRequest) -> list[dict[str, Any]]:
    """Maintenance windows overlapping the request's active allocations: they arrived after the approval
    (an approval never overlaps a known window), and staff must sort them out with the borrower."""
    return maintenance_hits_of(_maintenance_hits(session, [request.id]), request.id)


def maintenance_hits_of(hits: dict[int, list[dict[str, Any]]], request_id: int) -> list[dict[str, Any]]:
    return hits.get(request_id, [])


def _maintenance_hits(session: Session, request_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """``maintenance_hits`` of each of these requests, in one statement."""
    query = (
        sa.select(Allocation.request_id, InvMaintenanceWindow)
        .join(Allocation, Allocation.asset_id == InvMaintenanceWindow.asset_id)
        .where(
            Allocation.request_id.in_(request_ids),
            Allocation.active.is_(True),
            InvMaintenanceWindow.in_force(Allocation.blocked_from, Allocation.blocked_until),
        )
    )
    hits: dict[int, list[dict[str, Any]]] = {}
    for request_id, window in session.execute(query):
        hits.setdefault(request_id, []).append(_window(window))
    return hits

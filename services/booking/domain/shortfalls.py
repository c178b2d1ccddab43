"""Too few units for what is promised: inventory lowered an asset's quantity (or retired it) below the loans
already approved or out.

Booking cannot refuse the change (the asset really has fewer units), so it records it when it applies the
event (``record_shortfall``, under the asset's row lock, like a maintenance window over a loan) and staff see a
flag naming the asset, how many units are missing, when, and the loans concerned. ``over_promised`` is pure: the
same sweep as ``conflicts.peak_usage`` (half-open ranges, releases before takes at one instant), which gives the
peak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from services.booking.domain.conflicts import peak_usage
from services.booking.models import Allocation, InvAsset, QuantityShortfall
from services.inventory.contract import AssetStatus

log = structlog.get_logger(__name__)

# (blocked_from, blocked_until, quantity, request_id) of one active allocation
Promise = tuple[datetime, datetime, int, int]


@dataclass(frozen=True)
class Shortfall:
    asset_id: int
    quantity: int  # units the asset has (0 when retired)
    promised: int  # the most units promised at one instant
    starts_at: datetime  # the first instant with too few units
    ends_at: datetime  # the last
    request_ids: tuple[int, ...]  # the loans that hold units while there are too few

    @property
    def missing(self) -> int:
        return self.promised - self.quantity


def units_of(asset: InvAsset) -> int:
    return asset.quantity if asset.status == AssetStatus.ACTIVE else 0


def over_promised(asset_id: int, quantity: int, promises: Iterable[Promise]) -> Shortfall | None:
    """Where these promises need more than ``quantity`` units at once, or None when they fit."""
    promises = list(promises)
    if not promises:
        return None
    points = sorted(
        [(a, qty, rid) for a, _b, qty, rid in promises] + [(b, -qty, rid) for _a, b, qty, rid in promises],
        key=lambda p: (p[0], p[1]),
    )
    in_use, holding, over = 0, dict[int, int](), False
    first: datetime | None = None
    last: datetime | None = None
    concerned: set[int] = set()
    for instant, group in groupby(points, key=lambda p: p[0]):
        for _instant, delta, request_id in group:
            in_use += delta
            holding[request_id] = holding.get(request_id, 0) + delta
        if in_use > quantity:
            first, over = first or instant, True
            concerned |= {rid for rid, units in holding.items() if units > 0}
        elif over:
            last, over = instant, False
    if first is None:
        return None
    start = min(a for a, _b, _q, _r in promises)
    end = max(b for _a, b, _q, _r in promises)
    peak = peak_usage(((a, b, q) for a, b, q, _r in promises), start, end)
    return Shortfall(asset_id, quantity, peak, first, last or end, tuple(sorted(concerned)))  # last: always set


def promises_of(session: Session, asset_ids: Iterable[int], since: datetime) -> dict[int, list[Promise]]:
    """The active allocations of these assets that still block some instant after ``since`` (one statement)."""
    ids = sorted(set(asset_ids))
    found: dict[int, list[Promise]] = {i: [] for i in ids}
    if not ids:
        return found
    query = sa.select(
        Allocation.asset_id,
        Allocation.blocked_from,
        Allocation.blocked_until,
        Allocation.quantity,
        Allocation.request_id,
    ).where(Allocation.asset_id.in_(ids), Allocation.active.is_(True), Allocation.blocked_until > since)
    for asset_id, a, b, quantity, request_id in session.execute(query):
        found[asset_id].append((max(a, since), b, quantity, request_id))
    return found


def record_shortfall(session: Session, asset: InvAsset, now: datetime) -> Shortfall | None:
    """After an asset event was applied (the caller holds the asset's row lock): when the loans promised from now
    on need more units than the asset has, keep a ``QuantityShortfall`` row and log it."""
    shortfall = over_promised(asset.id, units_of(asset), promises_of(session, [asset.id], now)[asset.id])
    if shortfall is None:
        return None
    session.add(
        QuantityShortfall(
            asset_id=asset.id,
            asset_version=asset.version,
            quantity=shortfall.quantity,
            promised=shortfall.promised,
            starts_at=shortfall.starts_at,
            ends_at=shortfall.ends_at,
            request_ids=list(shortfall.request_ids),
            recorded_at=now,
        )
    )
    session.flush()
    log.warning(
        "quantity_below_promised",
        asset_id=asset.id,
        quantity=shortfall.quantity,
        promised=shortfall.promised,
        request_ids=list(shortfall.request_ids),
    )
    return shortfall

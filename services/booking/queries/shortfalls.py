"""Assets with fewer units than their promised loans, as staff see them (one statement).

The record (``QuantityShortfall``, written when booking applied inventory's change) says which assets to look
at; the promises are read again now, so a flag stays exactly as long as the shortfall does: staff who cancel a
loan, or inventory raising the quantity again, make it go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.domain.shortfalls import Promise, Shortfall, over_promised, units_of
from services.booking.models import Allocation, BookingRequest, Centres, InvAsset, QuantityShortfall


@dataclass(frozen=True)
class ShortfallFlag:
    asset: InvAsset
    shortfall: Shortfall
    references: dict[int, str]  # request id -> reference, of the loans concerned


def shortfall_flags(
    session: Session, centres: Centres, now: datetime, asset_ids: Iterable[int] | None = None
) -> list[ShortfallFlag]:
    """The shortfalls still there at the reader's centres (of ``asset_ids`` only, when given), by asset name."""
    flagged = sa.select(QuantityShortfall.asset_id)
    if asset_ids is not None:
        flagged = flagged.where(QuantityShortfall.asset_id.in_(sorted(set(asset_ids)) or [-1]))
    query = (
        sa.select(
            InvAsset,
            Allocation.blocked_from,
            Allocation.blocked_until,
            Allocation.quantity,
            Allocation.request_id,
            BookingRequest.reference,
        )
        .join(Allocation, Allocation.asset_id == InvAsset.id)
        .join(BookingRequest, BookingRequest.id == Allocation.request_id)
        .where(InvAsset.id.in_(flagged), Allocation.active.is_(True), Allocation.blocked_until > now)
    )
    if centres is not None:
        query = query.where(InvAsset.location_id.in_(sorted(centres) or [-1]))
    assets: dict[int, InvAsset] = {}
    promises: dict[int, list[Promise]] = {}
    references: dict[int, str] = {}
    for asset, blocked_from, blocked_until, quantity, request_id, reference in session.execute(query):
        assets[asset.id] = asset
        promises.setdefault(asset.id, []).append((max(blocked_from, now), blocked_until, quantity, request_id))
        references[request_id] = reference
    flags = []
    for asset_id, asset in assets.items():
        shortfall = over_promised(asset_id, units_of(asset), promises[asset_id])
        if shortfall is not None:
            flags.append(ShortfallFlag(asset, shortfall, {r: references[r] for r in shortfall.request_ids}))
    return sorted(flags, key=lambda f: (f.asset.name_nl, f.asset.id))

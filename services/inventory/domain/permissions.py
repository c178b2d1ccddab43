"""Who may change what in the inventory: staff manage their own community centres' assets, admins all.

``actor=None`` means the system itself (demo loader, command line), which is allowed everything.
"""

from __future__ import annotations

from shared.auth import Principal
from shared.errors import Forbidden


def check_can_manage_location(actor: Principal | None, location_id: int) -> None:
    """Raises Forbidden unless the actor works at the location (or is an admin)."""
    if actor is not None and not actor.works_at(location_id):
        raise Forbidden("You can only change what belongs to your own community centre.")


def check_is_admin(actor: Principal | None) -> None:
    """Raises Forbidden unless the actor is an administrator."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only an administrator may do this.")

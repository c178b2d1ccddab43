"""The routing table: which consuming service receives which event types. The one place that says so.

Every consuming service has one durable queue named after it (``booking``, ``notify``) and one task that takes
events from it (``<service>.handle_event``). A producer never knows its consumers; the relay asks this table.
"""

from __future__ import annotations

# consumer -> event type prefixes it subscribes to
ROUTES: dict[str, tuple[str, ...]] = {
    "booking": ("inventory.", "notify.call."),
    "notify": ("booking.", "inventory.location.", "inventory.asset.", "inventory.token.", "inventory.staff."),
}


def subscribers(event_type: str) -> list[str]:
    """The consuming services that get ``event_type``, in a stable order."""
    return sorted(service for service, prefixes in ROUTES.items() if event_type.startswith(prefixes))


def queue_name(service: str) -> str:
    return service


def handler_task_name(service: str) -> str:
    return f"{service}.handle_event"

from shared.consumer import retry_delay
from shared.routing import handler_task_name, queue_name, subscribers


def test_booking_gets_inventory_events_and_notify_gets_booking_locations_and_assets() -> None:
    assert subscribers("inventory.asset.created") == ["booking", "notify"]
    assert subscribers("inventory.location.updated") == ["booking", "notify"]
    assert subscribers("inventory.requirement.created") == ["booking"]
    assert subscribers("inventory.maintenance_window.added") == ["booking"]
    assert subscribers("booking.request.approved") == ["notify"]
    assert subscribers("notify.mail.sent") == []
    # the calls staff note on notify's call list reach the request's page at booking
    assert subscribers("notify.call.recorded") == ["booking"]


def test_each_consumer_has_its_own_queue_and_task() -> None:
    assert queue_name("notify") == "notify"
    assert handler_task_name("booking") == "booking.handle_event"


def test_retry_delay_doubles_up_to_a_cap() -> None:
    assert [retry_delay(n, 5, 60) for n in range(6)] == [5, 10, 20, 40, 60, 60]

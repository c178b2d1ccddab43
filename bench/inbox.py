"""5. Event to inbox: from the approval's HTTP response to the confirmation mail's arrival at a real SMTP server.

The path measured: booking's outbox row → relay → Redis → notify worker (copy, schedule, render, iCalendar)
→ SMTP (aiosmtpd on loopback, the one the topology's notify sends to). Each booking has its own requester
address, so every confirmation (the mail with the text/calendar part) is matched to its approval. Two rounds
of N bookings: approvals one at a time, 0.2 s apart (the latency of the path itself), then as fast as four staff
clients can (the path under a burst, where the notify queue builds up).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from bench.common import Context, Result, base_time, request_body
from bench.lib import Client, ms, percentile, run_concurrently

ASSETS = 20
# (label, concurrent approvers, pause after each approval): one staff member at a steady pace, then a burst
MODES = (("paced: 1 approver, 0.2 s apart", 1, 0.2), ("burst: 4 approvers", 4, 0.0))


def bookings(ctx: Context) -> int:
    return 200 if ctx.full else 20


def run(ctx: Context) -> Result:
    count = bookings(ctx)
    location = ctx.create_location("bench-inbox")
    assets = ctx.create_assets(location, "inbox", ASSETS)
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"bookings": count}
    notes = []
    for round_number, (label, approvers, pause) in enumerate(MODES):
        start = base_time(days_ahead=6 + 10 * round_number)
        latencies, rate, waited = _round(ctx, assets, start, count, approvers, pause, f"r{round_number}")
        data[label] = {"arrived": len(latencies), "latencies": latencies}
        rows.append(
            [
                label,
                count,
                len(latencies),
                rate,
                ms(percentile(latencies, 50)),
                ms(percentile(latencies, 99)),
                ms(max(latencies)),
            ]
        )
        notes.append(f"{label}: started once no mail had arrived for 3 s (waited {waited:.0f} s for earlier mail).")
    return Result(
        "inbox",
        f"5. Event to inbox: approval response → confirmation mail at the SMTP server, {count} bookings per round",
        ["round", "bookings", "mails arrived", "approvals/s", "p50 ms", "p99 ms", "max ms"],
        rows,
        notes=[
            *notes,
            "The confirmation carries the iCalendar invitation. Relay, booking and notify workers as in "
            "deploy/Procfile (prefork, concurrency 2).",
        ],
        data=data,
    )


def _round(
    ctx: Context, assets: list[int], start: Any, count: int, approvers: int, pause: float, tag: str
) -> tuple[list[float], float, float]:
    arrived: dict[str, float] = {}
    lock = threading.Lock()

    def on_data(message: EmailMessage) -> None:
        if any(part.get_content_type() == "text/calendar" for part in message.walk()):
            with lock:
                arrived.setdefault(str(message["To"]).strip("<>"), time.perf_counter())

    addresses = [f"inbox-{tag}-{j}-{int(time.time())}@example.org" for j in range(count)]
    request_ids: dict[int, int] = {}

    def file_one(client: Client, j: int) -> bool:
        body = request_body(assets[j % ASSETS], start + timedelta(hours=2 * (j // ASSETS)), email=addresses[j])
        status, created, _ = client.request("POST", "/booking/requests", body)
        if status != 201:
            raise RuntimeError(f"filing failed: {status} {created!r}")
        request_ids[j] = int(created["request_id"])
        return True

    run_concurrently(8, list(range(count)), file_one, ctx.client)
    # the mails of the benchmarks before (and of these requests' receipts) go out first: measure a quiet system
    waited = ctx.wait_for_quiet_mail()
    approved: dict[str, float] = {}
    staff = ctx.staff()

    def approve(client: Client, j: int) -> bool:
        status, _body, _ = client.request("POST", f"/booking/requests/{request_ids[j]}/approve", {}, staff)
        approved[addresses[j]] = time.perf_counter()
        if pause:
            time.sleep(pause)
        return status == 200

    ctx.smtp.recorder.on_data = on_data
    try:
        approvals = run_concurrently(approvers, list(range(count)), approve, ctx.client)
        deadline = time.monotonic() + (180 if ctx.full else 60)
        while time.monotonic() < deadline:
            with lock:
                if all(address in arrived for address in addresses):
                    break
            time.sleep(0.1)
    finally:
        ctx.smtp.recorder.on_data = None
    missing = [address for address in addresses if address not in arrived]
    if approvals.errors or missing:
        raise AssertionError(f"inbox: {approvals.errors} approvals failed, {len(missing)} confirmations missing")
    return [arrived[address] - approved[address] for address in addresses], approvals.rate, waited

"""The load test: locust, headless, against the production topology; then the invariants. `make load`.

    python -m bench.load [--users 200] [--spawn-rate 20] [--duration 180] [--write docs/benchmarks.md]

1. Starts the production topology (``bench.topology.running_topology``: nginx on :8100, gunicorn per service,
   the workers, beat, the relay) on fresh databases ``uitleen_load_*`` with the demo data, and waits until
   booking's copy of the inventory knows every public asset.
2. Runs ``bench/locustfile.py`` with locust, headless, in a separate process (locust monkey-patches with
   gevent; this process stays plain): residents browse and submit, a few desk users approve.
3. Prints, per endpoint group, requests, errors, error rate, p50 and p99 (ms) and throughput.
4. Waits for the outboxes to drain, then checks in the databases that no invariant broke: no asset is
   allocated beyond its quantity at any moment, no idempotency key (or submission) made two requests,
   nothing left unpublished, every booking event applied by notify. Exits 1 if one broke.

Rate limits would measure the limiter, not the service (all simulated users share one address), so the run
switches them off (``RATELIMIT_ENABLED=false``); everything else is the production configuration.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.topology import GATEWAY, ROOT, running_topology
from tests.support.smtp import SmtpServer

LOAD_PREFIX = "uitleen_load"
SECTION_START = "<!-- load:start -->"
SECTION_END = "<!-- load:end -->"

# Any active allocation whose start is covered by more units of its asset than the asset has.
OVERBOOKED = sa.text(
    """
    SELECT a.asset_id, a.blocked_from, SUM(b.quantity) AS used, inv.quantity
    FROM allocations a
    JOIN allocations b ON b.asset_id = a.asset_id AND b.active
         AND b.blocked_from <= a.blocked_from AND a.blocked_from < b.blocked_until
    JOIN inv_assets inv ON inv.id = a.asset_id
    WHERE a.active
    GROUP BY a.id, a.asset_id, a.blocked_from, inv.quantity
    HAVING SUM(b.quantity) > inv.quantity
    """
)
# Every submission of the load test writes "load <idempotency key>" as its purpose.
DUPLICATE_SUBMISSIONS = sa.text(
    "SELECT purpose, COUNT(*) FROM requests WHERE purpose LIKE 'load %' GROUP BY purpose HAVING COUNT(*) > 1"
)
KEYS_SHARING_A_REQUEST = sa.text(
    "SELECT request_id, COUNT(*) FROM idempotency_keys WHERE request_id IS NOT NULL "
    "GROUP BY request_id HAVING COUNT(*) > 1"
)


def _get_json(path: str) -> Any:
    with urllib.request.urlopen(f"{GATEWAY}{path}", timeout=10) as response:
        return json.loads(response.read())


def wait_for_catalogue(seconds: float = 90) -> int:
    """Until booking's copy knows every public asset (the relay delivers inventory's events after start)."""
    assets = _get_json("/inventory/assets?page_size=100")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            for asset in assets:
                _get_json(f"/booking/availability?asset_id={asset['id']}&from=2030-01-07T00:00&to=2030-01-08T00:00")
            return len(assets)
        except OSError:
            time.sleep(1)
    raise TimeoutError("booking did not learn the demo assets in time")


def run_locust(users: int, spawn_rate: int, duration: int, csv_prefix: Path) -> int:
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{duration}s",
        "--host",
        GATEWAY,
        "--csv",
        str(csv_prefix),
        "--json-file",
        str(csv_prefix),  # locust adds ".json"
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]
    return subprocess.run(command, cwd=ROOT, timeout=duration + 180, check=False).returncode


def percentile(histogram: dict[int, int], share: float) -> int:
    """As locust computes it (``locust.stats.calculate_response_time_percentile``) from its rounded times (ms)."""
    total = sum(histogram.values())
    wanted = int(total * share)
    processed = 0
    for value in sorted(histogram, reverse=True):
        processed += histogram[value]
        if total - processed <= wanted:
            return value
    return 0


def read_stats(csv_prefix: Path) -> list[dict[str, Any]]:
    """Locust's final statistics (written at exit, so requests that finished while stopping count too)."""
    entries: list[dict[str, Any]] = json.loads(Path(f"{csv_prefix}.json").read_text())
    return entries


def stats_table(entries: list[dict[str, Any]], duration: int) -> str:
    lines = [
        "| endpoint group | requests | errors | error rate | p50 (ms) | p99 (ms) | req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    everything: dict[int, int] = {}
    totals = [0, 0]

    def line(name: str, count: int, failures: int, histogram: dict[int, int]) -> str:
        rate = f"{100 * failures / count:.2f} %" if count else "–"
        p50, p99 = percentile(histogram, 0.50), percentile(histogram, 0.99)
        return f"| {name} | {count} | {failures} | {rate} | {p50} | {p99} | {count / duration:.1f} |"

    for entry in sorted(entries, key=lambda e: e["name"]):
        histogram = {int(k): int(v) for k, v in entry["response_times"].items()}
        for value, count in histogram.items():
            everything[value] = everything.get(value, 0) + count
        totals[0] += entry["num_requests"]
        totals[1] += entry["num_failures"]
        lines.append(
            line(f"{entry['method']} {entry['name']}", entry["num_requests"], entry["num_failures"], histogram)
        )
    lines.append(line("**all**", totals[0], totals[1], everything))
    return "\n".join(lines)


def failures_table(csv_prefix: Path) -> str:
    path = Path(f"{csv_prefix}_failures.csv")
    if not path.exists():
        return ""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return "\n".join(f"- {r['Method']} {r['Name']}: {r['Error']} ×{r['Occurrences']}" for r in rows)


def drain(topology_urls: dict[str, str], seconds: float = 120) -> dict[str, int]:
    """Wait until booking's and inventory's outboxes are published and notify applied every booking event."""
    booking, notify = sa.create_engine(topology_urls["booking"]), sa.create_engine(topology_urls["notify"])
    inventory = sa.create_engine(topology_urls["inventory"])
    deadline = time.monotonic() + seconds
    counts: dict[str, int] = {}
    try:
        while True:
            with booking.connect() as b, notify.connect() as n, inventory.connect() as i:
                counts = {
                    "booking_events": b.scalar(sa.text("SELECT COUNT(*) FROM outbox")) or 0,
                    "booking_unpublished": b.scalar(sa.text("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL"))
                    or 0,
                    "inventory_unpublished": i.scalar(sa.text("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL"))
                    or 0,
                    "notify_applied_booking_events": n.scalar(
                        sa.text("SELECT COUNT(*) FROM processed_events WHERE type LIKE 'booking.%'")
                    )
                    or 0,
                    "notify_dead_letters": n.scalar(sa.text("SELECT COUNT(*) FROM dead_letters")) or 0,
                }
            settled = counts["booking_unpublished"] == 0 and counts["inventory_unpublished"] == 0
            if (
                settled
                and counts["notify_applied_booking_events"] + counts["notify_dead_letters"] >= counts["booking_events"]
            ):
                return counts
            if time.monotonic() > deadline:
                return counts
            time.sleep(1)
    finally:
        for engine in (booking, notify, inventory):
            engine.dispose()


def check_invariants(booking_url: str, drained: dict[str, int]) -> tuple[list[str], dict[str, Any]]:
    """(what broke, what was counted) in the booking database after the run."""
    engine = sa.create_engine(booking_url)
    broken: list[str] = []
    try:
        with engine.connect() as connection:
            overbooked = connection.execute(OVERBOOKED).all()
            duplicates = connection.execute(DUPLICATE_SUBMISSIONS).all()
            shared_keys = connection.execute(KEYS_SHARING_A_REQUEST).all()
            by_status = dict(connection.execute(sa.text("SELECT status, COUNT(*) FROM requests GROUP BY status")).all())
            allocations = connection.scalar(sa.text("SELECT COUNT(*) FROM allocations WHERE active")) or 0
            keys = connection.scalar(sa.text("SELECT COUNT(*) FROM idempotency_keys")) or 0
    finally:
        engine.dispose()
    if overbooked:
        broken.append(f"{len(overbooked)} allocation(s) beyond the asset's quantity, e.g. {overbooked[:3]}")
    if duplicates:
        broken.append(f"{len(duplicates)} submission(s) created more than one request, e.g. {duplicates[:3]}")
    if shared_keys:
        broken.append(f"{len(shared_keys)} request(s) claimed by several idempotency keys, e.g. {shared_keys[:3]}")
    if drained["booking_unpublished"] or drained["inventory_unpublished"]:
        broken.append(f"events left unpublished: {drained}")
    missing = drained["booking_events"] - drained["notify_applied_booking_events"] - drained["notify_dead_letters"]
    if missing > 0:
        broken.append(f"{missing} booking event(s) not applied by notify")
    counted = {
        "requests_by_status": by_status,
        "active_allocations": allocations,
        "idempotency_keys": keys,
        **drained,
    }
    return broken, counted


def write_section(path: Path, text: str) -> None:
    """Replace (or add) the load section of docs/benchmarks.md, leaving the other sections alone."""
    block = f"{SECTION_START}\n{text.strip()}\n{SECTION_END}"
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    if SECTION_START in current and SECTION_END in current:
        head, rest = current.split(SECTION_START, 1)
        current = head + block + rest.split(SECTION_END, 1)[1]
    else:
        current = current.rstrip() + "\n\n## Load\n\n" + block + "\n"
    path.write_text(current)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", "200")))
    parser.add_argument("--spawn-rate", type=int, default=int(os.environ.get("LOAD_SPAWN_RATE", "20")))
    parser.add_argument("--duration", type=int, default=int(os.environ.get("LOAD_SECONDS", "180")), help="seconds")
    parser.add_argument("--broker", default=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/11"))
    parser.add_argument("--prefix", default=os.environ.get("LOAD_DB_PREFIX", LOAD_PREFIX))
    parser.add_argument("--write", type=Path, help="put the result into this markdown file's Load section")
    args = parser.parse_args(argv)
    if not args.prefix.startswith(LOAD_PREFIX):
        parser.error(f"--prefix must start with {LOAD_PREFIX}")
    var_dir = ROOT / "var" / "load"
    csv_prefix = var_dir / "locust"
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    smtp = SmtpServer()  # production refuses to capture mail: a real SMTP server takes it
    smtp.start()
    try:
        with running_topology(
            args.prefix,
            args.broker,
            var_dir,
            demo=True,
            RATELIMIT_ENABLED="false",
            NOTIFY_MAIL_BACKEND="smtp",
            NOTIFY_SMTP_HOST="127.0.0.1",
            NOTIFY_SMTP_PORT=str(smtp.port),
        ) as topology:
            assets = wait_for_catalogue()
            print(
                f"topology ready, booking knows {assets} assets; {args.users} users for {args.duration} s", flush=True
            )
            exit_code = run_locust(args.users, args.spawn_rate, args.duration, csv_prefix)
            drained = drain(topology.database_urls)
            broken, counted = check_invariants(topology.database_urls["booking"], drained)
            counted["mails_received"] = len(smtp.recorder.messages)
    finally:
        smtp.stop()
    rows = read_stats(csv_prefix)
    table = stats_table(rows, args.duration)
    failures = failures_table(csv_prefix)
    verdict = "no invariant broken" if not broken else "INVARIANTS BROKEN:\n" + "\n".join(f"- {b}" for b in broken)
    report = (
        f"{args.users} users (spawn {args.spawn_rate}/s), {args.duration} s, {started}, locust exit {exit_code}\n\n"
        f"{table}\n\n"
        f"Failures:\n{failures or '- none'}\n\n"
        f"After the run: {counted}\n\n"
        f"Invariants: {verdict}\n"
    )
    print(report)
    if args.write:
        write_section(args.write, report)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

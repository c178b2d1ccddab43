"""Small tools the benchmarks share: a keep-alive HTTP client per thread, percentiles, tables, memory."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class Client:
    """One persistent HTTP/1.1 connection (one per worker thread), JSON in and out."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        payload = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=payload, headers={**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                raw = response.read()
                data = json.loads(raw) if raw and "json" in (response.getheader("Content-Type") or "") else raw
                return response.status, data, dict(response.getheaders())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


@dataclass
class Timings:
    seconds: list[float]
    wall: float
    errors: int = 0

    @property
    def count(self) -> int:
        return len(self.seconds)

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.seconds, p)


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def run_concurrently(
    workers: int, jobs: Sequence[Any], work: Callable[[Any, Any], bool], make_state: Callable[[], Any]
) -> Timings:
    """Run ``work(state, job)`` for every job on ``workers`` threads; each thread has its own state (client).

    ``work`` returns False for a failed job. Returns per-job latencies and the wall time of the whole run.
    """
    local = threading.local()
    states: list[Any] = []
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0

    def one(job: Any) -> None:
        nonlocal errors
        if not hasattr(local, "state"):
            local.state = make_state()
            with lock:
                states.append(local.state)
        started = time.perf_counter()
        ok = work(local.state, job)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if not ok:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, jobs))
    wall = time.perf_counter() - started
    for state in states:
        if hasattr(state, "close"):
            state.close()
    return Timings(latencies, wall, errors)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in header]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        f"\n## {title}\n",
        "| " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)) + " |",
        "| " + " | ".join("-" * w for w in widths) + " |",
    ]
    lines += ["| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells[1:]]
    return "\n".join(lines)


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 100 else f"{value:.0f}"
    return str(value)


def ms(seconds: float) -> float:
    return seconds * 1000


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def postgres_backends(database_prefix: str) -> list[int]:
    """PostgreSQL backend processes serving databases whose name starts with ``database_prefix``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if command.startswith("postgres: ") and f" {database_prefix}" in command:
                pids.append(int(entry.name))
    return pids

"""Run the benchmarks: ``python -m bench.run [names...] [--size smoke|full]`` (``make bench`` runs them all).

One production topology (deploy/Procfile under honcho: nginx, gunicorn per service, relay, celery workers,
beat) on fresh databases and a real SMTP server serves every benchmark of the run, in order; memory comes last,
so it shows the processes after the others' load. Each prints its table (markdown) as it finishes.

Environment: ``BENCH_DB_PREFIX`` (default ``uitleen_bench``; databases ``<prefix>_<service>`` are dropped and
recreated), ``BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/12``; the run empties that database).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
import redis

from bench import availability, contention, inbox, memory, paths, reminders, throughput
from bench.common import SIZES, Context, Result
from bench.topology import PG_ADMIN_URL, running_topology, wait_for_free_ports
from tests.support.smtp import SmtpServer

BENCHMARKS: dict[str, Callable[[Context], Result]] = {
    # in-process, on its own databases (<prefix>_paths_<service>): statements, transactions and CPU per request
    "paths": lambda ctx: paths.run(ctx.size, f"{ctx.prefix}_paths"),
    "throughput": throughput.run,
    "contention": contention.run,
    "availability": availability.run,
    "reminders": reminders.run,
    "inbox": inbox.run,
    "memory": memory.run,
}


def run_benchmarks(
    names: Sequence[str],
    size: str,
    prefix: str,
    broker_url: str,
    var_dir: Path,
    echo: Callable[[str], None] = print,
) -> list[Result]:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        raise ValueError(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}")
    ordered = [name for name in BENCHMARKS if name in names]
    # the Procfile's ports are fixed: wait for another run (a colleague's load test) rather than fail
    wait_for_free_ports(seconds=900)
    redis.Redis.from_url(broker_url).flushdb()
    smtp = SmtpServer()
    smtp.start()
    try:
        with running_topology(
            prefix,
            broker_url,
            var_dir,
            NOTIFY_MAIL_BACKEND="smtp",
            NOTIFY_SMTP_HOST="127.0.0.1",
            NOTIFY_SMTP_PORT=str(smtp.port),
            NOTIFY_DISPATCH_SECONDS="1",
        ) as topology:
            ctx = Context(topology=topology, smtp=smtp, size=size, prefix=prefix)
            ctx.login()
            for name in ordered:
                started = time.perf_counter()
                result = BENCHMARKS[name](ctx)
                result.notes.append(f"({name}, size {size}: {time.perf_counter() - started:.0f} s)")
                ctx.results.append(result)
                echo(result.render())
            return ctx.results
    finally:
        smtp.stop()


def machine() -> str:
    """One line about the machine and the versions, printed above the tables."""
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    with psycopg.connect(PG_ADMIN_URL) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    postgres = row[0] if row else "?"
    redis_version = redis.Redis.from_url(os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)).info()["redis_version"]
    nginx = subprocess.run(["/usr/sbin/nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return (
        f"{os.cpu_count()} cores, {memory_kib / 1024 / 1024:.1f} GiB RAM, {platform.platform()}, "
        f"Python {platform.python_version()}, PostgreSQL {postgres}, Redis {redis_version}, {nginx}"
    )


DEFAULT_REDIS = "redis://127.0.0.1:6379/12"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"which benchmarks (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--size", choices=SIZES, default="full")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    print(f"# Uitleen benchmarks, size {args.size}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(machine())
    with tempfile.TemporaryDirectory(prefix="uitleen-bench-") as var_dir:
        run_benchmarks(
            names,
            args.size,
            os.environ.get("BENCH_DB_PREFIX", "uitleen_bench"),
            os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
            Path(var_dir),
            echo=lambda text: print(text, flush=True),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""6. Memory: the resident size (RSS) of every gunicorn and celery process after the runs before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import Context, Result
from bench.lib import rss_mib


def run(ctx: Context) -> Result:
    rows: list[list[Any]] = []
    data: dict[str, list[float]] = {}
    roles = ctx.topology.pids()
    for role, pids in sorted(roles.items()):
        for pid in sorted(pids):
            try:
                if _is_shell(pid):
                    continue  # honcho's `sh -c` around each command
                size = rss_mib(pid)
                kind = _kind(roles, pid)
            except OSError:
                continue
            data.setdefault(role, []).append(size)
            rows.append([role, kind, pid, size])
    return Result(
        "memory",
        "6. Memory: resident size of each process after the benchmarks above",
        ["role", "process", "pid", "RSS MiB"],
        rows,
        notes=[
            "gunicorn: main = the arbiter, child = a worker (GUNICORN_WORKERS per service); celery: main = "
            "the consumer, child = a pool process (--concurrency); beat and relay are single processes."
        ],
        data=data,
    )


def _is_shell(pid: int) -> bool:
    program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    return Path(program.decode()).name in ("sh", "bash", "dash")


def _kind(roles: dict[str, list[int]], pid: int) -> str:
    """'main' when the parent is not of the same role (gunicorn arbiter, celery main process), else 'child'
    (a gunicorn worker, a celery pool process)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    parent = int(stat.rsplit(")", 1)[1].split()[1])
    same_role = any(pid in pids and parent in pids and not _is_shell(parent) for pids in roles.values())
    return "child" if same_role else "main"

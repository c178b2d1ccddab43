"""Prometheus metrics at ``/<service>/metrics``: requests and latencies per endpoint, plus gauges a service adds
(outbox backlog, queue lengths, reminders) that are read from the database or broker when scraped.

Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR`` to a shared empty directory so the
counters of all workers are summed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from shared.config import process_settings

REQUESTS = Counter("uitleen_http_requests_total", "HTTP requests answered", ["service", "method", "endpoint", "status"])
LATENCY = Histogram(
    "uitleen_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

GaugeReader = Callable[[], Iterable[tuple[dict[str, str], float]]]


class ScrapeTimeGauges(Collector):
    """Gauges computed when Prometheus scrapes: each reader returns (labels, value) pairs."""

    def __init__(self, gauges: dict[str, tuple[str, list[str], GaugeReader]]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, (documentation, label_names, read) in self.gauges.items():
            family = GaugeMetricFamily(name, documentation, labels=label_names)
            try:
                for labels, value in read():
                    family.add_metric([labels[n] for n in label_names], value)
            except Exception:  # a failing source must not break the whole scrape; the gauge is just absent
                continue
            yield family


def init_metrics(app: Flask, service: str, gauges: dict[str, tuple[str, list[str], GaugeReader]] | None = None) -> None:
    registry = CollectorRegistry(auto_describe=True)
    if process_settings().prometheus_multiproc_dir:
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    if gauges:
        registry.register(ScrapeTimeGauges(gauges))

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("metrics_started")
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        if endpoint == "/metrics":
            return response
        REQUESTS.labels(service, request.method, endpoint, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(service, request.method, endpoint).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")

"""Health, readiness, OpenAPI and docs pages of every service."""

from __future__ import annotations

import dataclasses

import pytest

from services.booking.app import create_app as create_booking
from services.inventory.app import create_app as create_inventory
from services.notify.app import create_app as create_notify
from shared.db import Database
from tests.conftest import settings_for

FACTORIES = {"inventory": create_inventory, "booking": create_booking, "notify": create_notify}


@pytest.fixture(params=sorted(FACTORIES))
def service_client(request, databases, environ, redis_client):
    service = request.param
    app = FACTORIES[service](settings_for(service, environ), databases[service])
    return service, app.test_client()


def test_healthz_readyz_openapi_and_docs(service_client):
    service, client = service_client
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json["checks"] == {"database": "ok", "broker": "ok"}
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    assert spec.json["openapi"].startswith("3.1")
    assert spec.json["servers"] == [{"url": f"/{service}"}]
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.data


def test_readyz_is_503_naming_the_broker_when_it_does_not_answer(databases, environ):
    settings = dataclasses.replace(settings_for("inventory", environ), broker_url="redis://127.0.0.1:1/0")
    client = create_inventory(settings, databases["inventory"]).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["broker"] != "ok"
    assert response.json["checks"]["database"] == "ok"
    assert "broker" in response.json["detail"]


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(environ):
    settings = settings_for("inventory", environ)
    database = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 1})
    client = create_inventory(settings, database).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] != "ok"


def test_inventory_openapi_documents_the_catalogue(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in (
        "/assets",
        "/assets/{asset_id}",
        "/assets/{asset_id}/retire",
        "/assets/{asset_id}/maintenance-windows",
        "/locations",
        "/requirements",
        "/auth/login",
    ):
        assert path in paths


def test_request_id_follows_the_request(service_client):
    _, client = service_client
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert len(generated) == 32


def test_every_response_carries_the_browser_hardening_headers(service_client):
    _, client = service_client
    for response in (client.get("/healthz"), client.get("/docs"), client.get("/nowhere")):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    assert client.get("/docs.js").mimetype == "text/javascript"


def test_production_adds_hsts(databases, environ):
    production = {**environ, "UITLEEN_ENV": "production"}
    client = create_inventory(settings_for("inventory", production), databases["inventory"]).test_client()
    assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_metrics_count_requests_per_endpoint_and_report_the_outbox_backlog(inventory_admin, client):
    client.get("/assets")
    client.get("/assets/12345")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'uitleen_http_requests_total{endpoint="/assets",method="GET",service="inventory",status="200"}' in text
    assert 'endpoint="/assets/<int:asset_id>",method="GET",service="inventory",status="404"' in text
    assert "uitleen_http_request_duration_seconds_bucket" in text
    # inventory_admin's fixture created one location: one unpublished event
    assert "uitleen_outbox_backlog 1.0" in text

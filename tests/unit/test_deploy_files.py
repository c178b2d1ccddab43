"""The deployment files stay honest: they parse, follow their schemas, and every command names something real.

docker-compose.yml is checked against the Compose Specification schema, the Kubernetes manifests against the
Kubernetes API schemas (kubernetes-validate), nginx's configuration with `nginx -t`; every process command in
compose, the Procfile and the manifests must name an importable module, a Celery app or a file that exists.
(That they also start and serve is shown by tests/e2e/test_topology.py, which runs the Procfile.)
"""

from __future__ import annotations

import importlib
import importlib.util
import shlex
import shutil
import subprocess
from pathlib import Path

import check_jsonschema.builtin_schemas as builtin_schemas
import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def procfile_commands() -> dict[str, list[str]]:
    commands = {}
    for line in (ROOT / "deploy" / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = shlex.split(command)
    return commands


def k8s_documents() -> list[tuple[str, dict]]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        documents += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def k8s_commands() -> list[list[str]]:
    commands = []
    for _, doc in k8s_documents():
        spec = doc.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            if "command" in container:
                commands.append(container["command"])
    return commands


def compose_commands() -> list[list[str]]:
    return [
        service["command"]
        for service in load_compose()["services"].values()
        if isinstance(service.get("command"), list)
    ]


def check_command_names_something_real(command: list[str]) -> None:
    """Raises AssertionError when a process command points at nothing."""
    program = command[0]
    if program == "gunicorn":
        target = command[-1]
        module, _, attribute = target.partition(":")
        assert hasattr(importlib.import_module(module), attribute), target
        if "--config" in command:
            assert (ROOT / command[command.index("--config") + 1]).is_file()
    elif program == "celery":
        module = command[command.index("-A") + 1]
        app = importlib.import_module(module)
        assert hasattr(app, "app") or hasattr(app, "celery_app"), f"{module} has no Celery app"
        if "--queues" in command:
            from shared.routing import ROUTES

            assert command[command.index("--queues") + 1] in ROUTES
    elif program == "python":
        assert command[1] == "-m"
        assert importlib.util.find_spec(command[2]) is not None, command[2]
    elif program == "nginx":
        config = command[command.index("-c") + 1].replace("$PWD/", "")
        assert config.startswith("/etc/nginx/uitleen/") or (ROOT / config).is_file(), config
    elif program in ("redis-server", "celery"):
        pass
    else:
        raise AssertionError(f"unknown program in {command}")


def test_compose_follows_the_compose_specification():
    schema = builtin_schemas.get_builtin_schema("vendor.compose-spec")
    jsonschema.validate(load_compose(), schema)


def test_compose_services_have_health_checks_and_depend_on_health():
    services = load_compose()["services"]
    for name, service in services.items():
        if name != "migrate":
            assert "healthcheck" in service, f"{name} has no health check"
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert condition["condition"] in ("service_healthy", "service_completed_successfully")
    assert {
        "postgres",
        "redis",
        "inventory",
        "booking",
        "notify",
        "worker-booking",
        "worker-notify",
        "beat",
        "relay",
        "gateway",
        "mailcatcher",
        "migrate",
    } <= set(services)


def test_compose_uses_named_volumes_and_pinned_images():
    compose = load_compose()
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        image = service.get("image", "")
        assert image and ":" in image and not image.endswith(":latest"), f"{name} image not pinned: {image}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in declared, f"{name} uses undeclared volume {source}"
            else:
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
    assert (ROOT / ".env.example").is_file()


@pytest.mark.parametrize("command", compose_commands(), ids=lambda c: " ".join(c[:3]))
def test_every_compose_command_names_something_real(command):
    check_command_names_something_real(command)


@pytest.mark.parametrize(("name", "command"), sorted(procfile_commands().items()), ids=lambda x: str(x)[:40])
def test_every_procfile_command_names_something_real(name, command):
    check_command_names_something_real(command)


@pytest.mark.parametrize("command", k8s_commands(), ids=lambda c: " ".join(c[:3]))
def test_every_manifest_command_names_something_real(command):
    check_command_names_something_real(command)


def test_the_procfile_runs_what_compose_runs():
    """Same processes with and without Docker: every long-running compose role has a Procfile line."""
    roles = {
        name.replace("-", "_")
        for name, service in load_compose()["services"].items()
        if service.get("build") or service.get("image", "").startswith("uitleen")
    }
    roles -= {"migrate"}
    assert roles <= set(procfile_commands()), roles - set(procfile_commands())


@pytest.mark.parametrize(("filename", "document"), k8s_documents(), ids=lambda x: x if isinstance(x, str) else "")
def test_manifests_follow_the_kubernetes_schema(filename, document):
    kubernetes_validate.validate(document, "1.30", strict=True)


def test_the_manifest_validator_does_catch_mistakes():
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "selector": {}, "template": {}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30", strict=True)


def test_kustomization_lists_existing_files_and_a_single_beat():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource
    for generator in kustomization["configMapGenerator"]:
        for entry in generator["files"]:
            assert (K8S / entry.split("=", 1)[1]).is_file(), entry
    beat = next(doc for _, doc in k8s_documents() if doc["metadata"]["name"] == "beat")
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"


def test_dockerfile_is_multi_stage_non_root_and_pinned():
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    assert text.count("\nFROM ") >= 2
    assert "USER uitleen" in text
    assert "python:3.11.7-slim-bookworm" in text and ":latest" not in text
    assert "-c constraints.txt" in text


def test_nginx_configuration_is_valid(tmp_path):
    assert shutil.which("nginx"), "nginx is missing: deploy/ensure-services.sh installs it"
    result = subprocess.run(
        ["nginx", "-t", "-p", f"{tmp_path}/", "-c", str(ROOT / "deploy/nginx/local.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gateway(tmp_path):
    """The gateway's real locations.conf in nginx, in front of one stub upstream that answers 200 to anything
    (and says which path it got): what the gateway forwards, and what it keeps to itself."""
    import http.server
    import threading

    seen: list[str] = []

    class Upstream(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"up")

        def log_message(self, *args: object) -> None:
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = _free_port()
    local = (ROOT / "deploy/nginx/local.conf").read_text().replace("127.0.0.1:8100", f"127.0.0.1:{port}")
    for service_port in ("8101", "8102", "8103"):
        local = local.replace(f"127.0.0.1:{service_port}", f"127.0.0.1:{upstream.server_port}")
    (tmp_path / "nginx.conf").write_text(local)
    (tmp_path / "locations.conf").write_bytes((ROOT / "deploy/nginx/locations.conf").read_bytes())
    assert shutil.which("nginx"), "nginx is missing: deploy/ensure-services.sh installs it"
    nginx = subprocess.Popen(
        ["nginx", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(port, nginx)
        yield f"127.0.0.1:{port}", seen
    finally:
        nginx.terminate()
        nginx.communicate(timeout=10)
        upstream.shutdown()
        upstream.server_close()


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    import socket
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "nginx exited"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("nginx did not listen")


def _get(address: str, path: str) -> int:
    import http.client

    connection = http.client.HTTPConnection(address, timeout=5)
    connection.request("GET", path)  # sent as written: no client-side normalisation
    status = connection.getresponse().status
    connection.close()
    return status


METRICS_PATHS = [
    "/inventory/metrics",
    "/booking/metrics",
    "/notify/metrics",
    "/notify/metrics/",
    "/booking/metrics?format=text",
    "/booking//metrics",
    "/booking/./metrics",
    "/inventory/x/../metrics",
    "/booking/%6detrics",
    "/booking%2Fmetrics",
    "/metrics",
]


def test_the_gateway_keeps_metrics_inside_however_the_path_is_spelled(gateway):
    address, seen = gateway
    for path in METRICS_PATHS:
        assert _get(address, path) == 404, path
    assert seen == [], f"the gateway forwarded {seen}"
    # everything else still goes through: the services' other routes, the pages, a path that merely contains it
    for path in ("/booking/healthz", "/inventory/assets", "/notify/deliveries", "/", "/lenen/metrics-kit"):
        assert _get(address, path) == 200, path
    assert len(seen) == 5

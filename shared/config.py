"""Settings from environment variables (12-factor), typed and validated at start-up.

Every variable has a documented default that suits the embedded mode (``make run``): SQLite files under
``var/``, a broker that needs no server, e-mail captured locally. Production sets ``UITLEEN_ENV=production``,
which refuses the development secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEVELOPMENT_SECRET = "dev-secret-change-me"
ENVIRONMENTS = ("development", "test", "production")
LOG_FORMATS = ("console", "json")
SERVICES = ("inventory", "booking", "notify")


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def default_var_dir() -> Path:
    return Path(os.environ.get("UITLEEN_VAR_DIR", _project_root() / "var"))


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _parse_int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _public_url(name: str, raw: str) -> str:
    """The address people use to reach the suite, as links in mails and pages name it: ``https://host[:port]``
    with an optional path prefix; no query, fragment or credentials. Returned without a trailing slash."""
    try:
        parts = urlsplit(raw.strip())
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = urlsplit(""), False
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.username is not None
        or parts.query
        or parts.fragment
        or any(ch.isspace() or ord(ch) < 32 for ch in raw.strip())
    ):
        raise ConfigError(f"{name} must be an http:// or https:// address such as https://uitleen.gent.be, got {raw!r}")
    return raw.strip().rstrip("/")


def _database_url(name: str, raw: str) -> str:
    if not (raw.startswith("sqlite") or raw.startswith("postgresql")):
        raise ConfigError(f"{name} must be a sqlite:// or postgresql+psycopg:// URL, got {raw!r}")
    if raw.startswith("postgresql://"):
        # psycopg 3 is the driver we install; say so in the URL rather than let SQLAlchemy look for psycopg2.
        raw = "postgresql+psycopg://" + raw.removeprefix("postgresql://")
    return raw


@dataclass(frozen=True)
class Settings:
    """The settings of one service process. ``service`` picks the ``<SERVICE>_DATABASE_URL`` variable."""

    service: str
    env: str
    secret_key: str
    database_url: str
    broker_url: str
    log_format: str
    log_level: str
    max_body_bytes: int
    secure_cookies: bool
    session_hours: int
    api_token_days: int
    var_dir: Path
    ratelimit_storage_url: str = "memory://"
    ratelimit_enabled: bool = True
    trusted_proxies: int = 0
    # the base of every absolute link (mails, the confirmation page): never the request's Host header
    public_url: str = "http://127.0.0.1:8000"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(service: str, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings of ``service``.

    Raises ConfigError naming the variable when a value is missing or malformed.
    """
    if service not in SERVICES:
        raise ConfigError(f"unknown service {service!r}")
    env_vars = os.environ if environ is None else environ
    var_dir = Path(env_vars.get("UITLEEN_VAR_DIR", str(default_var_dir())))

    def get(name: str, default: str) -> str:
        return env_vars.get(name, default)

    env = _choice("UITLEEN_ENV", get("UITLEEN_ENV", "development"), ENVIRONMENTS)
    db_var = f"{service.upper()}_DATABASE_URL"
    settings = Settings(
        service=service,
        env=env,
        secret_key=get("SECRET_KEY", DEVELOPMENT_SECRET),
        database_url=_database_url(db_var, get(db_var, f"sqlite:///{var_dir / (service + '.sqlite')}")),
        broker_url=get("BROKER_URL", f"sqla+sqlite:///{var_dir / 'broker.sqlite'}"),
        log_format=_choice("LOG_FORMAT", get("LOG_FORMAT", "json" if env == "production" else "console"), LOG_FORMATS),
        log_level=_choice("LOG_LEVEL", get("LOG_LEVEL", "INFO").upper(), ("DEBUG", "INFO", "WARNING", "ERROR")),
        max_body_bytes=_parse_int("MAX_BODY_BYTES", get("MAX_BODY_BYTES", str(1024 * 1024)), minimum=1024),
        secure_cookies=_parse_bool("SECURE_COOKIES", get("SECURE_COOKIES", "true" if env == "production" else "false")),
        session_hours=_parse_int("SESSION_HOURS", get("SESSION_HOURS", "12"), minimum=1),
        api_token_days=_parse_int("API_TOKEN_DAYS", get("API_TOKEN_DAYS", "90"), minimum=1),
        var_dir=var_dir,
        ratelimit_storage_url=get("RATELIMIT_STORAGE_URL", _default_ratelimit_storage(env, env_vars)),
        ratelimit_enabled=_parse_bool("RATELIMIT_ENABLED", get("RATELIMIT_ENABLED", "true")),
        trusted_proxies=_parse_int("TRUSTED_PROXIES", get("TRUSTED_PROXIES", "1" if env == "production" else "0")),
        # the embedded default (make run) serves on PORT, so its links follow it
        public_url=_public_url("PUBLIC_URL", get("PUBLIC_URL", f"http://127.0.0.1:{_port(get('PORT', '8000'))}")),
        extra={k: v for k, v in env_vars.items() if k.startswith(service.upper() + "_")},
    )
    validate(settings)
    return settings


def _port(raw: str) -> int:
    port = _parse_int("PORT", raw, minimum=1)
    if port > 65535:
        raise ConfigError(f"PORT must be at most 65535, got {port}")
    return port


def _default_ratelimit_storage(env: str, env_vars: Mapping[str, str]) -> str:
    # In production every process must count together: Redis. Elsewhere, process memory is enough.
    broker = env_vars.get("BROKER_URL", "")
    return broker if env == "production" and broker.startswith("redis") else "memory://"


def validate(settings: Settings) -> None:
    """Refuse settings that are unsafe for the environment they are meant for."""
    if settings.is_production:
        if settings.secret_key == DEVELOPMENT_SECRET or len(settings.secret_key) < 32:
            raise ConfigError("SECRET_KEY must be set to a random value of at least 32 characters in production")
        if settings.uses_sqlite:
            raise ConfigError(f"{settings.service.upper()}_DATABASE_URL must point at PostgreSQL in production")
    if settings.broker_url.split("://", 1)[0] not in ("redis", "rediss", "sqla+sqlite", "memory"):
        raise ConfigError(f"BROKER_URL must be a redis:// or sqla+sqlite:// URL, got {settings.broker_url!r}")


def int_setting(settings: Settings, name: str, default: int, minimum: int = 0) -> int:
    """A service-specific whole-number setting such as ``BOOKING_EXPIRE_AFTER_HOURS``."""
    return _parse_int(name, settings.extra.get(name, str(default)), minimum=minimum)


def str_setting(settings: Settings, name: str, default: str) -> str:
    return settings.extra.get(name, default)


@dataclass(frozen=True)
class ProcessSettings:
    """How a process runs, whatever service it serves (gunicorn, Celery, the relay, the clock in tests).

    Read once, from the same environment as ``Settings``, so nothing outside this module reads ``os.environ``.
    """

    port: int = 8000
    gunicorn_bind: str = "0.0.0.0:8000"
    gunicorn_workers: int = 2
    gunicorn_threads: int = 4
    gunicorn_graceful_timeout: int = 25
    gunicorn_timeout: int = 30
    forwarded_allow_ips: str = "127.0.0.1"
    broker_visibility_timeout: int = 3600
    broker_unacked_restore_seconds: int | None = None
    relay_republish_seconds: float = 600.0
    relay_heartbeat_file: str | None = None
    clock_file: str | None = None  # tests only: a file holding an ISO instant the clock reads
    prometheus_multiproc_dir: str | None = None


def load_process_settings(environ: Mapping[str, str] | None = None) -> ProcessSettings:
    """Raises ConfigError naming the variable when a value is malformed."""
    env = os.environ if environ is None else environ

    def optional(name: str) -> str | None:
        return env.get(name) or None

    restore = optional("BROKER_UNACKED_RESTORE_SECONDS")
    try:
        republish = float(env.get("RELAY_REPUBLISH_SECONDS", "600"))
    except ValueError:
        raise ConfigError(f"RELAY_REPUBLISH_SECONDS must be a number, got {env['RELAY_REPUBLISH_SECONDS']!r}") from None
    return ProcessSettings(
        port=_parse_int("PORT", env.get("PORT", "8000"), minimum=1),
        gunicorn_bind=env.get("GUNICORN_BIND", "0.0.0.0:8000"),
        gunicorn_workers=_parse_int("GUNICORN_WORKERS", env.get("GUNICORN_WORKERS", "2"), minimum=1),
        gunicorn_threads=_parse_int("GUNICORN_THREADS", env.get("GUNICORN_THREADS", "4"), minimum=1),
        gunicorn_graceful_timeout=_parse_int("GUNICORN_GRACEFUL_TIMEOUT", env.get("GUNICORN_GRACEFUL_TIMEOUT", "25")),
        gunicorn_timeout=_parse_int("GUNICORN_TIMEOUT", env.get("GUNICORN_TIMEOUT", "30"), minimum=1),
        forwarded_allow_ips=env.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        broker_visibility_timeout=_parse_int(
            "BROKER_VISIBILITY_TIMEOUT", env.get("BROKER_VISIBILITY_TIMEOUT", "3600"), minimum=1
        ),
        broker_unacked_restore_seconds=_parse_int("BROKER_UNACKED_RESTORE_SECONDS", restore, minimum=1)
        if restore
        else None,
        relay_republish_seconds=republish,
        relay_heartbeat_file=optional("RELAY_HEARTBEAT_FILE"),
        clock_file=optional("UITLEEN_CLOCK_FILE"),
        prometheus_multiproc_dir=optional("PROMETHEUS_MULTIPROC_DIR"),
    )


_process_settings: ProcessSettings | None = None


def process_settings() -> ProcessSettings:
    """This process's ``ProcessSettings``, read on first use."""
    global _process_settings
    if _process_settings is None:
        _process_settings = load_process_settings()
    return _process_settings

"""The notify service's settings: mail transport, reminder timing, retries. Env names in docs/notify.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.config import ConfigError, Settings, int_setting, str_setting

SECURITY_MODES = ("none", "starttls", "tls")
MAIL_BACKENDS = ("capture", "smtp")


@dataclass(frozen=True)
class ReminderPolicy:
    """When the day-before reminders go out: ``days_before`` the pick-up/return day, at ``local_hour``."""

    days_before: int = 1
    local_hour: int = 10


# Categories whose pick-up needs preparing (a car with a tow hitch, a van) get their reminder earlier.
DEFAULT_CATEGORY_DAYS = {"caravan": 2, "give_box": 2}


@dataclass(frozen=True)
class NotifyConfig:
    mail_backend: str = "capture"
    mail_from: str = "Uitleen Stad Gent <uitleen@stad.gent>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: int = 20
    public_url: str = "http://127.0.0.1:8000"
    reminder_hour: int = 10
    category_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_DAYS))
    default_days: int = 1
    overdue_grace_hours: int = 2
    escalation_hours: int = 24
    digest_hour: int = 8
    send_lease_seconds: int = 300
    max_send_attempts: int = 8
    retry_base_seconds: int = 30
    retry_max_seconds: int = 3600
    dispatch_seconds: int = 15
    # After an applied event one coalesced dispatch tick is queued (services/notify/tasks.py) with this countdown
    # (0: none, at the queue's tail behind the events already waiting); the beat's tick stays the safety net.
    dispatch_delay_ms: int = 200
    # Booking expires a request nobody decided on after BOOKING_EXPIRE_AFTER_HOURS; notify warns the centre
    # NOTIFY_EXPIRY_WARNING_HOURS before. Booking's events carry the submission instant, not its setting, so
    # notify is told the same number (docs/notify.md; the defaults are held equal by tests/unit/test_config.py).
    expire_after_hours: int = 72
    expiry_warning_hours: int = 24

    def policy_for(self, categories: list[str]) -> ReminderPolicy:
        """The earliest reminder any of the booked categories asks for."""
        days = max([self.category_days.get(c, self.default_days) for c in categories] or [self.default_days])
        return ReminderPolicy(days_before=days, local_hour=self.reminder_hour)


def load_notify_config(settings: Settings) -> NotifyConfig:
    """Raises ConfigError naming the variable when a value is malformed."""
    security = str_setting(settings, "NOTIFY_SMTP_SECURITY", "none")
    if security not in SECURITY_MODES:
        raise ConfigError(f"NOTIFY_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, got {security!r}")
    backend = str_setting(settings, "NOTIFY_MAIL_BACKEND", "capture")
    if backend not in MAIL_BACKENDS:
        raise ConfigError(f"NOTIFY_MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, got {backend!r}")
    if "NOTIFY_PUBLIC_URL" in settings.extra:
        # one setting for every link the suite prints (shared.config PUBLIC_URL); a stale one must not win quietly
        raise ConfigError("NOTIFY_PUBLIC_URL is replaced by PUBLIC_URL (the base of every link); rename it")
    if settings.is_production and backend == "capture":
        raise ConfigError("NOTIFY_MAIL_BACKEND must be smtp in production (capture keeps mail on the server)")
    hour = int_setting(settings, "NOTIFY_REMINDER_HOUR", 10)
    if hour > 23:
        raise ConfigError(f"NOTIFY_REMINDER_HOUR must be 0-23, got {hour}")
    category_days = dict(DEFAULT_CATEGORY_DAYS)
    for name in settings.extra:
        if name.startswith("NOTIFY_REMINDER_DAYS_"):
            category_days[name.removeprefix("NOTIFY_REMINDER_DAYS_").lower()] = int_setting(settings, name, 1)
    return NotifyConfig(
        mail_backend=backend,
        mail_from=str_setting(settings, "NOTIFY_MAIL_FROM", NotifyConfig.mail_from),
        smtp_host=str_setting(settings, "NOTIFY_SMTP_HOST", "127.0.0.1"),
        smtp_port=int_setting(settings, "NOTIFY_SMTP_PORT", 25, minimum=1),
        smtp_security=security,
        smtp_username=str_setting(settings, "NOTIFY_SMTP_USERNAME", ""),
        smtp_password=str_setting(settings, "NOTIFY_SMTP_PASSWORD", ""),
        smtp_timeout=int_setting(settings, "NOTIFY_SMTP_TIMEOUT", 20, minimum=1),
        public_url=settings.public_url,
        reminder_hour=hour,
        category_days=category_days,
        default_days=int_setting(settings, "NOTIFY_REMINDER_DAYS", 1),
        overdue_grace_hours=int_setting(settings, "NOTIFY_OVERDUE_GRACE_HOURS", 2),
        escalation_hours=int_setting(settings, "NOTIFY_ESCALATION_HOURS", 24, minimum=1),
        digest_hour=int_setting(settings, "NOTIFY_DIGEST_HOUR", 8),
        send_lease_seconds=int_setting(settings, "NOTIFY_SEND_LEASE_SECONDS", 300, minimum=1),
        max_send_attempts=int_setting(settings, "NOTIFY_MAX_SEND_ATTEMPTS", 8, minimum=1),
        retry_base_seconds=int_setting(settings, "NOTIFY_RETRY_BASE_SECONDS", 30, minimum=1),
        retry_max_seconds=int_setting(settings, "NOTIFY_RETRY_MAX_SECONDS", 3600, minimum=1),
        dispatch_seconds=int_setting(settings, "NOTIFY_DISPATCH_SECONDS", 15, minimum=1),
        dispatch_delay_ms=int_setting(settings, "NOTIFY_DISPATCH_DELAY_MS", 200),
        expire_after_hours=int_setting(settings, "NOTIFY_EXPIRE_AFTER_HOURS", 72, minimum=1),
        expiry_warning_hours=int_setting(settings, "NOTIFY_EXPIRY_WARNING_HOURS", 24, minimum=1),
    )

import pytest

from shared.config import ConfigError, load_settings


def test_defaults_are_the_embedded_mode(tmp_path):
    settings = load_settings("booking", {"UITLEEN_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/booking.sqlite"
    assert settings.broker_url.startswith("sqla+sqlite:///")
    assert settings.env == "development" and settings.log_format == "console"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("UITLEEN_ENV", "staging", "UITLEEN_ENV must be one of"),
        ("MAX_BODY_BYTES", "lots", "MAX_BODY_BYTES must be a whole number"),
        ("SESSION_HOURS", "0", "SESSION_HOURS must be at least 1"),
        ("SECURE_COOKIES", "perhaps", "SECURE_COOKIES must be true or false"),
        ("INVENTORY_DATABASE_URL", "mysql://x", "INVENTORY_DATABASE_URL must be"),
        ("BROKER_URL", "amqp://guest@localhost", "BROKER_URL must be"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of"),
    ],
)
def test_a_bad_value_is_named(variable, value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings("inventory", {variable: value})


def test_production_refuses_the_development_secret_and_sqlite():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings("inventory", {"UITLEEN_ENV": "production", "INVENTORY_DATABASE_URL": "postgresql://x/y"})
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_settings("inventory", {"UITLEEN_ENV": "production", "SECRET_KEY": "k" * 40})


def test_production_settings(tmp_path):
    settings = load_settings(
        "inventory",
        {
            "UITLEEN_ENV": "production",
            "SECRET_KEY": "k" * 40,
            "INVENTORY_DATABASE_URL": "postgresql://db/inventory",
            "BROKER_URL": "redis://redis:6379/0",
        },
    )
    assert settings.database_url == "postgresql+psycopg://db/inventory"
    assert settings.secure_cookies and settings.log_format == "json"


def test_notify_knows_bookings_expiry_window_by_default() -> None:
    # booking's events carry the submission time, not its setting: the two defaults must be the same number
    from services.booking.config import BookingPolicy
    from services.notify.config import NotifyConfig

    assert NotifyConfig().expire_after_hours == BookingPolicy().expire_after_hours

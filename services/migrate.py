"""``make migrate``: upgrade every service's database to its latest migration."""

from __future__ import annotations

from pathlib import Path

from shared.config import SERVICES, load_settings
from shared.migrations import upgrade

ROOT = Path(__file__).resolve().parent


def main() -> None:
    for service in SERVICES:
        settings = load_settings(service)
        upgrade(ROOT / service / "migrations", settings.database_url)
        print(f"{service}: migrated")


if __name__ == "__main__":
    main()

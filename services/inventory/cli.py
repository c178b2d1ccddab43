"""Command-line tasks of the inventory service: ``flask --app services.inventory.app:create_app <command>``."""

from __future__ import annotations

import click
from flask import Flask

from services.inventory.demo import load_demo_data
from services.inventory.domain.staff import create_staff
from shared.db import Database


def register(app: Flask, database: Database) -> None:
    @app.cli.command("load-demo")
    def load_demo() -> None:
        """Load the Ghent demo data (idempotent)."""
        with database.transaction() as session:
            added = load_demo_data(session)
        click.echo(f"demo data: {added}")

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(["staff", "admin"]), default="staff")
    @click.option("--location", "locations", multiple=True, help="location code; repeat for several")
    @click.password_option()
    def create_staff_command(email: str, name: str, role: str, locations: tuple[str, ...], password: str) -> None:
        """Create a staff account."""
        with database.transaction() as session:
            account = create_staff(session, email, name, password, role, list(locations))
        click.echo(f"created staff account {account.id} for {email}")

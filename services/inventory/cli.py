"""Command-line tasks of the inventory service: ``flask --app services.inventory.app:create_app <command>``."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from services.inventory.demo import load_demo_data
from services.inventory.domain.credentials import issue_root_token
from services.inventory.domain.staff import account_key, create_staff
from services.inventory.models import StaffAccount
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

    @app.cli.command("create-token")
    @click.option("--email", required=True, help="the staff member the token acts as")
    @click.option("--name", required=True, help="what the token is for, e.g. the machine's name")
    def create_token_command(email: str, name: str) -> None:
        """Issue a token with no parent, for a machine that must outlive any login (API_TOKEN_DAYS)."""
        settings = app.config["SETTINGS"]
        with database.transaction() as session:
            account = session.scalar(sa.select(StaffAccount).where(StaffAccount.email == account_key(email)))
            if account is None:
                raise click.ClickException(f"there is no staff account for {email}")
            record, token = issue_root_token(session, account.id, name, settings.secret_key, settings.api_token_days)
        click.echo(f"token {record.id} for {email}, until {record.expires_at.isoformat()} (shown once):")
        click.echo(token)

"""Inventory rules and commands: plain functions over a SQLAlchemy session, no Flask."""

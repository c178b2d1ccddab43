"""The Uitleen services: inventory, booking, notify (each a package with its own app, data and migrations)."""

"""The inventory service: lendable assets, locations, requirements, maintenance windows, staff accounts."""

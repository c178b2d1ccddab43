"""The inventory's HTTP layer: flask-smorest blueprints, thin views over domain functions."""

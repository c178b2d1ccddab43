"""gunicorn entry point: ``gunicorn services.inventory.wsgi:app``, serving the service under ``/inventory``."""

from services.inventory.app import create_app
from shared.web import mounted

app = mounted(create_app(), "/inventory")

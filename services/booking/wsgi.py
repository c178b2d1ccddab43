"""gunicorn entry point: ``gunicorn services.booking.wsgi:app``, serving the service under ``/booking``."""

from services.booking.app import create_app
from shared.web import mounted

app = mounted(create_app(), "/booking")

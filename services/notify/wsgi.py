"""gunicorn entry point: ``gunicorn services.notify.wsgi:app``, serving the service under ``/notify``."""

from services.notify.app import create_app
from shared.web import mounted

app = mounted(create_app(), "/notify")

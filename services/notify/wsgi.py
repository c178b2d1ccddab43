"""gunicorn entry point: ``gunicorn services.notify.wsgi:app``."""

from services.notify.app import create_app

app = create_app()

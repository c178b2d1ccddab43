"""gunicorn entry point of the embedded default: ``gunicorn services.embedded.wsgi:app``."""

from services.embedded.app import create_embedded_app

app = create_embedded_app()

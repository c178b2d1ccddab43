"""The notify service: e-mails and reminders, driven by events over Celery."""

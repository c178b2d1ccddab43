"""gunicorn settings shared by every service in production (``gunicorn -c services/gunicorn_conf.py``).

Each value comes from ``shared.config.ProcessSettings`` (GUNICORN_* variables); the defaults suit a 2-core machine.
"""

from shared.config import process_settings

_process = process_settings()
bind = _process.gunicorn_bind
workers = _process.gunicorn_workers
threads = _process.gunicorn_threads
# On SIGTERM gunicorn stops accepting, lets in-flight requests finish for up to this long, then exits.
graceful_timeout = _process.gunicorn_graceful_timeout
timeout = _process.gunicorn_timeout
keepalive = 5
# Our own structured request log replaces gunicorn's access log.
accesslog = None
errorlog = "-"
forwarded_allow_ips = _process.forwarded_allow_ips

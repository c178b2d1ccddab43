"""gunicorn settings shared by every service in production (``gunicorn -c services/gunicorn_conf.py``).

Each value can be overridden by the environment; the defaults suit a 2-core machine.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# On SIGTERM gunicorn stops accepting, lets in-flight requests finish for up to this long, then exits.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
keepalive = 5
# Our own structured request log replaces gunicorn's access log.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

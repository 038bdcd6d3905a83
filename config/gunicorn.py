"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi`.

Everything can be overridden with GUNICORN_* environment variables.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
accesslog = "-"
errorlog = "-"
# Behind a proxy, trust its X-Forwarded-* headers only from the addresses it names.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No runtime control socket: the app keeps no state of its own on the machine.
control_socket_disable = True

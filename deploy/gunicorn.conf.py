"""gunicorn settings for the web container (docker-compose.yml, Dockerfile).

With several workers Prometheus counts live in PROMETHEUS_MULTIPROC_DIR (emptied by the container's
start command); a worker that exits is marked dead there so its gauges stop counting.
"""

import os

from prometheus_client import multiprocess

bind = "0.0.0.0:8000"
workers = 4
timeout = 120
# The app writes one JSON line per request (dibao.request); gunicorn's own access log would repeat it.
accesslog = None
errorlog = "-"


def child_exit(server, worker):
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # prometheus_client's own variable
        multiprocess.mark_process_dead(worker.pid)

# gunicorn settings for itsm-hub web nodes: `gunicorn -c config/gunicorn.conf.py wsgi:app`.
# Every value can be overridden on the command line.
import multiprocessing
import os

bind = os.environ.get("HUB_BIND", "0.0.0.0:8000")
# Threads serve the I/O-bound requests; processes use the cores.
workers = int(os.environ.get("HUB_WEB_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("HUB_WEB_THREADS", 4))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
keepalive = 5
# The app is built in each worker (after the fork), so database pools are never shared.
preload_app = False
accesslog = os.environ.get("HUB_ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("HUB_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Request limits. The request line may be as long as gunicorn allows (8190 bytes), above the
# API's own limit on query strings (4096 bytes, hub/api/__init__.py MAX_QUERY_BYTES), so that
# an over-long query is refused by the app with a 414 problem+json an API client can read,
# not by gunicorn with an HTML page. Lines beyond 8190 bytes, header fields beyond 8190 bytes,
# more than 100 header fields and malformed headers are still gunicorn's (text/html 414/400).
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 100

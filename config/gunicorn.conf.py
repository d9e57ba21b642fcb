# gunicorn settings for itsm-hub web nodes: `gunicorn -c config/gunicorn.conf.py wsgi:app`.
#
# Run it behind a buffering reverse proxy (nginx; docs/operations.md): gunicorn reads a
# request body in the thread that serves it, so slow clients talking to it directly can
# hold every thread. The HUB_* variables read here are hub settings like any other
# (docs/configuration.md, "Web server"): checked at start-up, with the variable named
# when one does not parse. Every value can still be overridden on the command line.
import multiprocessing

from hub.app.settings import load_settings

_hub = load_settings()

bind = _hub["BIND"]
# Threads serve the I/O-bound requests; processes use the cores.
workers = _hub["WEB_WORKERS"] or multiprocessing.cpu_count()
threads = _hub["WEB_THREADS"]
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
keepalive = 5
# Slow clients, as far as gunicorn goes: it bounds the request line and headers, and gives
# a connection that sends nothing back to its poller after a few seconds. It has no
# deadline for a body; the hub adds one (HUB_REQUEST_BODY_SECONDS, answered 408).
# The request line may be as long as gunicorn allows (8190 bytes), above the API's own
# limit on query strings (4096 bytes, hub/api/__init__.py MAX_QUERY_BYTES), so that an
# over-long query is refused by the app with a 414 problem+json, not by gunicorn with an
# HTML page. Longer lines and malformed headers are still gunicorn's (text/html 414/400).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# The app is built in each worker (after the fork), so database pools are never shared.
preload_app = False
accesslog = _hub["ACCESS_LOG"] or None
errorlog = "-"
# The hub alone reads X-Forwarded-For/-Proto, and only from HUB_TRUSTED_PROXIES.
secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = "127.0.0.1,::1"

"""The WSGI entry point: ``gunicorn wsgi:app`` (settings from HUB_* variables)."""

from hub import create_app
from hub.app.serving import freeze_startup_objects
from hub.plugins.presence import start_process_beacon

app = create_app()
# Each gunicorn worker imports this module (preload_app is off): each keeps its own row, so
# the admin pages can say which of them still run without a plugin installed since.
start_process_beacon(app.extensions["hub"], "web")
freeze_startup_objects()

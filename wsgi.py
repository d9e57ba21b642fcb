"""The WSGI entry point: ``gunicorn wsgi:app`` (settings from HUB_* variables)."""

from hub import create_app

app = create_app()

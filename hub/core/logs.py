"""Logging for people (text) or collectors (JSON), with request and job ids on every line."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

job_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("hub_job_id", default=None)
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("hub_request_id", default=None)

_EXTRA_KEYS = ("plugin", "hook", "instance", "event_id", "ticket", "lane")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.job_id = job_id_var.get()
        record.request_id = request_id_var.get()
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        tags = []
        job_id, request_id = getattr(record, "job_id", None), getattr(record, "request_id", None)
        if job_id:
            tags.append(f"job={job_id}")
        if request_id:
            tags.append(f"request={request_id}")
        return f"{base} [{' '.join(tags)}]" if tags else base


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("job_id", "request_id", *_EXTRA_KEYS):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Set up the ``hub`` logger once per process (re-running replaces its handler)."""
    logger = logging.getLogger("hub")
    for handler in list(logger.handlers):
        if getattr(handler, "hub_handler", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.hub_handler = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False

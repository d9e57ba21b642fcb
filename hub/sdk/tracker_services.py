"""The tracker services the SDK declares and the hub's core implements (hub.app.services).

:mod:`hub.sdk.tracker` wraps each for plugins and connectors; this protocol is what the app
factory checks the core's implementation against (mypy), kept apart so the functions'
module stays readable.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from hub.sdk.actors import Actor
from hub.sdk.values import CommentInfo, CustomFieldInfo, LinkInfo, TicketFigures, TicketInfo, TrendFigures

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class TrackerServices(Protocol):
    """What the core implements (hub.app.services satisfies it; mypy checks that)."""

    def get_ticket(self, session: Session, ref: str) -> TicketInfo: ...

    def find_tickets(self, session: Session, *, limit: int = 50, **filters: Any) -> list[TicketInfo]: ...

    def update_fields(
        self, session: Session, ref: str, values: dict[str, Any], actor: Actor
    ) -> dict[str, tuple[Any, Any]]: ...

    def transition(self, session: Session, ref: str, to: str, actor: Actor, note: str | None = None) -> TicketInfo: ...

    def add_comment(
        self, session: Session, ref: str, body: str, actor: Actor, visibility: str = "public"
    ) -> CommentInfo: ...

    def remember_thread_key(self, session: Session, ref: str, key: str) -> None: ...

    def thread_keys(self, session: Session, ref: str, *, limit: int = 50) -> list[str]: ...

    def links_of(self, session: Session, ref: str) -> list[LinkInfo]: ...

    def now(self, session: Session) -> datetime: ...

    def set_timer(
        self,
        session: Session,
        ref: str,
        *,
        plugin: str,
        name: str,
        due_at: datetime,
        data: dict[str, Any] | None = None,
    ) -> None: ...

    def cancel_timers(self, session: Session, ref: str, *, plugin: str, names: list[str] | None = None) -> None: ...

    def get_plugin_data(self, session: Session, ref: str, plugin: str) -> dict[str, Any]: ...

    def set_plugin_data(self, session: Session, ref: str, plugin: str, data: dict[str, Any]) -> None: ...

    def set_due_times(
        self, session: Session, ref: str, *, response_due_at: datetime | None, resolve_due_at: datetime | None
    ) -> None: ...

    def record_breach(self, session: Session, ref: str, *, target: str, due_at: datetime) -> bool: ...

    def set_sla_paused(self, session: Session, ref: str, since: datetime | None) -> None: ...

    def plugin_settings(self, session: Session, plugin: str) -> dict[str, Any]: ...

    def rate_limit_hit(self, session: Session, key: str, *, limit: int, window_seconds: float) -> bool: ...

    def status_url(self, session: Session, ref: str) -> str: ...

    def send_mail(
        self,
        session: Session,
        *,
        to: list[str],
        subject: str,
        body: str = "",
        ref: str | None = None,
        template: str | None = None,
        context: dict[str, Any] | None = None,
        instance: str | None = None,
        key: str | None = None,
        cc: list[str] | None = None,
    ) -> bool: ...

    def speaking_remote(self, session: Session, ref: str) -> str | None: ...

    def emit(self, session: Session, hook: str, ref: str | None, **kwargs: Any) -> list[Any]: ...

    def ticket_figures(
        self, session: Session, *, start: datetime, end: datetime, department: str | None = None
    ) -> TicketFigures: ...

    def trend_figures(
        self, session: Session, *, start: datetime, end: datetime, department: str | None = None,
        grouping: str = "department", ci_name: str | None = None,
    ) -> TrendFigures: ...

    def departments(self, session: Session) -> list[tuple[str, str]]: ...

    def custom_field_definitions(
        self, session: Session, *, department: str | None = None, kind: str | None = None
    ) -> list[CustomFieldInfo]: ...

    def get_custom_fields(self, session: Session, ref: str) -> dict[str, Any]: ...

    def set_custom_fields(
        self, session: Session, ref: str, values: dict[str, Any], actor: Actor, *, strict: bool = True
    ) -> dict[str, tuple[Any, Any]]: ...

    def change_approvers(self, session: Session, ref: str) -> list[str] | None: ...

    def recurring_incidents(
        self, session: Session, *, start: datetime, end: datetime, department: str | None = None,
        ci_name: str | None = None, key: str | None = None,
    ) -> list[str]: ...

    def open_problem(
        self, session: Session, incidents: list[str], actor: Actor, values: dict[str, Any] | None = None
    ) -> TicketInfo: ...

    def survey_links(self, session: Session, ref: str) -> list[tuple[int, str]]: ...

    def customers_at_risk(self, session: Session, *, start: datetime, end: datetime) -> list[tuple[str, int]]: ...

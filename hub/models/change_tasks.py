"""Change tasks: one change rolled out to many targets (lines, machines, rooms), one task each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, utcnow

#: A task's states; the last four are outcomes (a change closes only when every task has one).
TASK_STATES = ("open", "in_progress", "done", "failed", "skipped", "cancelled")
TASK_OUTCOMES = ("done", "failed", "skipped", "cancelled")


class ChangeTask(Base):
    """One piece of a change's work on one target, with its own assignee, state and outcome."""

    __tablename__ = "change_tasks"
    __table_args__ = (
        Index("ix_change_tasks_ticket", "ticket_id", "position"),
        Index("ix_change_tasks_assignee", "assignee_id", "state"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    """The change it belongs to."""
    position: Mapped[int] = mapped_column(Integer, default=1)
    """Its number within the change (1, 2, ...): the order the rollout goes in."""
    ci_id: Mapped[int | None] = mapped_column(ForeignKey("configuration_items.id", ondelete="SET NULL"),
                                              index=True)
    """The configuration item it changes, when the target is one."""
    target: Mapped[str] = mapped_column(String(200))
    """The target as named when the task was made: the item's key, or free text ("Room 2.14")."""
    title: Mapped[str] = mapped_column(String(500))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="open")
    """``open``, ``in_progress``, or an outcome: ``done``, ``failed``, ``skipped``, ``cancelled``."""
    outcome_note: Mapped[str | None] = mapped_column(Text)
    """What happened (required for failed and skipped: why)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    """When it reached its outcome; cleared when it is opened again."""

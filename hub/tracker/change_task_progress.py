"""How far a change's rollout is ("7 of 12 done, 1 failed"), whether the change may close,
the outcome its tasks suggest, and the tasks waiting for one agent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import TASK_OUTCOMES, TASK_STATES, ChangeTask, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import IllegalTransition
from hub.tracker.change_tasks import cancel_open_tasks
from hub.tracker.states import MACHINES, format_ref

#: Moves that say the work is finished: refused while a task has no outcome.
FINISHING = frozenset({"review", "closed"})
#: Moves that end the rollout early: the tasks still open are cancelled with them.
ABANDONING = frozenset({"failed", "backed_out", "cancelled"})


@dataclass
class TaskProgress:
    """Counts of a change's tasks by state."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        """Tasks with an outcome (done, failed, skipped, cancelled)."""
        return sum(self.counts.get(state, 0) for state in TASK_OUTCOMES)

    @property
    def pending(self) -> int:
        return self.total - self.finished

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 0

    @property
    def suggested_outcome(self) -> str | None:
        """``successful``, ``partially successful`` or ``failed`` once every task has an outcome:
        failed when no task was done and one failed, partially when some failed and some were done."""
        if not self.total or self.pending:
            return None
        done, failed = self.counts.get("done", 0), self.counts.get("failed", 0)
        if not failed:
            return "successful"
        return "partially successful" if done else "failed"

    @property
    def summary(self) -> str:
        """"7 of 12 done, 1 failed" (skipped and cancelled named when there are any)."""
        if not self.total:
            return "No tasks"
        text = f"{self.counts.get('done', 0)} of {self.total} done"
        for state in ("failed", "skipped", "cancelled", "in_progress"):
            if self.counts.get(state):
                text += f", {self.counts[state]} {state.replace('_', ' ')}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "finished": self.finished, "pending": self.pending, "percent": self.percent,
                "counts": {state: self.counts.get(state, 0) for state in TASK_STATES},
                "summary": self.summary, "suggested_outcome": self.suggested_outcome}


def progress(session: Session, ticket: Ticket) -> TaskProgress:
    """One grouped count, whatever the number of tasks."""
    rows = session.execute(select(ChangeTask.state, func.count()).where(ChangeTask.ticket_id == ticket.id)
                           .group_by(ChangeTask.state))
    return TaskProgress({str(state): int(count) for state, count in rows})


def guard_transition(session: Session, ticket: Ticket, to: str, actor: Actor) -> None:
    """Refuse finishing a change while a task has no outcome (409, naming how many); when the
    change fails, is backed out or cancelled, cancel the tasks that will not happen now."""
    if ticket.kind != "change":
        return
    if to in FINISHING:
        standing = progress(session, ticket)
        if standing.pending:
            allowed = [move for move in MACHINES["change"].allowed(ticket.status, ticket) if move not in FINISHING]
            raise IllegalTransition("change", ticket.status, to, allowed, reason=(
                f"{ticket.ref} has {standing.pending} task{'s' if standing.pending != 1 else ''} without an outcome "
                f"({standing.summary}). Mark each done, failed or skipped before moving it to "
                f"{to.replace('_', ' ')}."))
    elif to in ABANDONING:
        cancel_open_tasks(session, ticket, f"The change was {to.replace('_', ' ')}.", actor)


@dataclass(frozen=True)
class AssignedTask:
    """A task in an agent's list, with its change."""

    task: ChangeTask
    ref: str
    change_title: str
    change_status: str


def tasks_assigned(session: Session, user_id: int, *, pending_only: bool = True,
                   limit: int = 200) -> list[AssignedTask]:
    """The tasks assigned to this agent, oldest change first: what they have to do next."""
    query = (select(ChangeTask, Ticket.kind, Ticket.number, Ticket.title, Ticket.status)
             .join(Ticket, Ticket.id == ChangeTask.ticket_id).where(ChangeTask.assignee_id == user_id))
    if pending_only:
        query = query.where(ChangeTask.state.in_(("open", "in_progress")))
    rows = session.execute(query.order_by(Ticket.id, ChangeTask.position, ChangeTask.id).limit(limit))
    return [AssignedTask(task, format_ref(kind, number), title, status) for task, kind, number, title, status in rows]

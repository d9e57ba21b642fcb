"""Change advisory boards: which group decides on a change, how many must approve, and
where the change's approval stands (who approved, who rejected, how many more)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Approval, ApprovalPolicy, AuditEvent, Group, Ticket, User
from hub.models.org import group_members
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.tracker.org_log import record_change

CHANGE_TYPES = ("standard", "normal", "emergency")
RISKS = ("low", "medium", "high")
#: States after which an emergency change's approvals are given after the fact.
IMPLEMENTED = frozenset({"implementing", "review", "closed", "failed", "backed_out"})


@dataclass
class ApprovalStatus:
    """Where a change's approval stands in its current round."""

    group: str | None
    """The deciding group's slug; None when no policy applies (one approval by anyone else)."""
    quorum: int
    approved_by: list[str] = field(default_factory=list)
    rejected_by: list[tuple[str, str]] = field(default_factory=list)
    """(name, reason) of each rejection."""
    members: list[str] = field(default_factory=list)
    after_the_fact: bool = False
    """An emergency change implemented before it was approved."""
    cycle: int = 1

    @property
    def needed(self) -> int:
        """How many more approvals the quorum needs (0 once met)."""
        return max(0, self.quorum - len(self.approved_by))

    @property
    def state(self) -> str:
        if self.rejected_by:
            return "rejected"
        return "approved" if self.needed == 0 else "pending"

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "quorum": self.quorum, "approved_by": self.approved_by,
                "rejected_by": [{"name": name, "reason": reason} for name, reason in self.rejected_by],
                "members": self.members, "needed": self.needed, "state": self.state,
                "after_the_fact": self.after_the_fact, "cycle": self.cycle}


def policy_for(session: Session, change_type: str | None, risk: str | None) -> ApprovalPolicy | None:
    """The policy of this type and risk, else the type's policy for any risk, else None."""
    found = list(session.scalars(select(ApprovalPolicy).where(ApprovalPolicy.change_type == (change_type or "normal"))))
    exact = next((policy for policy in found if policy.risk == risk), None)
    return exact or next((policy for policy in found if policy.risk is None), None)


def member_ids(session: Session, group_id: int) -> set[int]:
    return set(session.scalars(select(group_members.c.user_id).where(group_members.c.group_id == group_id)))


def current_cycle(session: Session, ticket: Ticket) -> int:
    """The change's approval round: one more each time it went back to draft for rework."""
    moves = session.scalars(select(AuditEvent.changes).where(
        AuditEvent.ticket_id == ticket.id, AuditEvent.action == "transitioned"))
    return 1 + sum(1 for changes in moves if (changes or {}).get("status", [None, None])[1] == "draft")


def round_approvals(session: Session, ticket: Ticket, cycle: int) -> list[Approval]:
    return list(session.scalars(select(Approval).where(Approval.ticket_id == ticket.id, Approval.cycle == cycle)
                                .order_by(Approval.id)))


def approval_status(session: Session, ticket: Ticket) -> ApprovalStatus:
    """Who approved and rejected the change in this round, and how many more it needs."""
    policy = policy_for(session, ticket.change_type, ticket.risk)
    cycle = current_cycle(session, ticket)
    decisions = round_approvals(session, ticket, cycle)
    status = ApprovalStatus(group=None, quorum=1, cycle=cycle)
    if policy is not None:
        group = session.get(Group, policy.group_id)
        status.group = group.slug if group is not None else None
        status.quorum = policy.quorum
        status.members = list(session.scalars(select(User.username).join(
            group_members, group_members.c.user_id == User.id).where(group_members.c.group_id == policy.group_id)
            .order_by(User.username)))
    status.approved_by = [a.approver_name for a in decisions if a.decision == "approved"]
    status.rejected_by = [(a.approver_name, a.comment) for a in decisions if a.decision == "rejected"]
    status.after_the_fact = any(a.after_the_fact for a in decisions) or (
        ticket.change_type == "emergency" and ticket.status in IMPLEMENTED and status.state != "approved")
    return status


# --------------------------------------------------------------------------------------
# Admin services: the policies.
# --------------------------------------------------------------------------------------


def list_policies(session: Session) -> list[ApprovalPolicy]:
    return list(session.scalars(select(ApprovalPolicy).order_by(ApprovalPolicy.change_type, ApprovalPolicy.risk,
                                                                ApprovalPolicy.id)))


def get_policy(session: Session, policy_id: int) -> ApprovalPolicy:
    policy = session.get(ApprovalPolicy, policy_id)
    if policy is None:
        raise NotFound(f"No approval policy {policy_id}.")
    return policy


def present_policy(session: Session, policy: ApprovalPolicy) -> dict[str, Any]:
    group = session.get(Group, policy.group_id)
    return {"id": policy.id, "change_type": policy.change_type, "risk": policy.risk,
            "group": group.slug if group is not None else None, "quorum": policy.quorum,
            "members": len(member_ids(session, policy.group_id))}


def _checked(session: Session, values: dict[str, Any], current: ApprovalPolicy | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    change_type = values.get("change_type", current.change_type if current else None)
    risk = values.get("risk", current.risk if current else None) or None
    if change_type not in CHANGE_TYPES:
        errors["change_type"] = [f"Must be one of: {', '.join(CHANGE_TYPES)}."]
    if risk is not None and risk not in RISKS:
        errors["risk"] = [f"Must be one of: {', '.join(RISKS)}, or empty for any risk."]
    group_id = current.group_id if current else None
    if "group" in values or current is None:
        group = session.scalar(select(Group).where(Group.slug == (values.get("group") or "")))
        if group is None:
            errors["group"] = [f"No group {values.get('group')!r}. Make the board a group first."]
        else:
            group_id = group.id
    quorum = values.get("quorum", current.quorum if current else 1)
    if not isinstance(quorum, int) or isinstance(quorum, bool) or not 1 <= quorum <= 50:
        errors["quorum"] = ["Must be a whole number from 1 to 50."]
    elif group_id is not None and "group" not in errors:
        size = len(member_ids(session, group_id))
        if quorum > size:
            errors["quorum"] = [f"The group has {size} member(s); a quorum of {quorum} could never be met."]
    if not errors:
        clash = session.scalar(select(ApprovalPolicy.id).where(
            ApprovalPolicy.change_type == change_type,
            ApprovalPolicy.risk.is_(None) if risk is None else ApprovalPolicy.risk == risk))
        if clash is not None and (current is None or clash != current.id):
            raise Conflict(f"A policy for {change_type} changes of {risk or 'any'} risk exists (id {clash}); "
                           "change that one.")
    if errors:
        raise ValidationFailed(errors)
    return {"change_type": change_type, "risk": risk, "group_id": group_id, "quorum": quorum}


def create_policy(*, session: Session, values: dict[str, Any], actor: Actor | None = None) -> ApprovalPolicy:
    """Make the board of changes of a type (and risk): ``group`` slug and ``quorum``."""
    policy = ApprovalPolicy(**_checked(session, values, None))
    session.add(policy)
    session.flush()
    _log(session, policy, "created", actor)
    return policy


def update_policy(*, session: Session, policy: ApprovalPolicy, values: dict[str, Any],
                  actor: Actor | None = None) -> ApprovalPolicy:
    for name, value in _checked(session, values, policy).items():
        setattr(policy, name, value)
    session.flush()
    _log(session, policy, "updated", actor)
    return policy


def delete_policy(*, session: Session, policy: ApprovalPolicy, actor: Actor | None = None) -> None:
    _log(session, policy, "deleted", actor)
    session.delete(policy)
    session.flush()


def _log(session: Session, policy: ApprovalPolicy, action: str, actor: Actor | None) -> None:
    group = session.get(Group, policy.group_id)
    record_change(session, item_type="cab_policy", item_id=policy.id,
                  item_name=f"{policy.change_type}/{policy.risk or 'any'}", action=action, actor=actor,
                  changes={"group": group.slug if group else None, "quorum": policy.quorum})

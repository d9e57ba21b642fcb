"""A form's department that no longer exists: the ticket opens all the same.

The builder refuses a choice naming a department that does not exist; one deleted behind
the hub's back must not cost the person who posted their report: the ticket opens in the
form's own department (or none), its audit says why, and the admins' warning counts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.webform.config import WebformConfig
from hub.sdk import InstanceInfo, TicketDraft
from hub.sdk.hub_services import count_missing_reference, missing_names

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def keep_known_department(session: Session, draft: TicketDraft, instance: InstanceInfo) -> None:
    """Replace a department the form filled in that names nothing by the instance's own."""
    asked = draft.department
    if not asked or not missing_names(session, {"department": [asked]}):
        return
    own = instance.department if instance.department != asked else None
    draft.department = own
    draft.notes.append(f"The form {instance.slug} filled in department {asked!r}, which no longer exists; the "
                       + (f"ticket went to the form's own department {own}." if own else "ticket has no department."))
    for reference in WebformConfig.org_references(instance.config):
        if reference.kind == "department" and reference.name == asked and reference.effect:
            count_missing_reference(session, source=instance.slug, reference=reference)

"""Business rules of the ServiceNow double: a record's state moved by a journal entry.

A real instance runs its business rules on every write, the Table API's included, and a
"before" rule's changes are in the record the PATCH answers with. Instances often have one
that moves a New incident to In Progress once an agent adds a work note or a comment (the
Incident state model leaves this to each site; docs.servicenow.com "Incident Management
state model"). The double runs none unless a test adds one with ``add_state_rule``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class StateRule:
    """Before update on ``table``: a new entry in one of ``elements`` moves ``from_states`` to ``to_state``."""

    table: str
    elements: tuple[str, ...]
    from_states: tuple[str, ...]
    to_state: str


def apply_state_rules(rules: Iterable[StateRule], table: str, record: dict[str, str], elements: set[str]) -> bool:
    """Run the rules for a write that added journal entries to ``elements``; True when the state moved."""
    for rule in rules:
        if rule.table == table and elements & set(rule.elements) and record.get("state") in rule.from_states:
            record["state"] = rule.to_state
            return True
    return False

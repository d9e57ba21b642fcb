"""The two-way sync engine every ITSM connector shares.

A sync connector polls its remote system and hands each changed record to the pipeline
as an ``update`` draft made by :func:`hub.sdk.sync.draft_for`; pushes go out through the
outbox like any other connector's. What is the same for every system lives here:

- field by field, which side changed since the last agreed values (kept on the link),
  and what the per-field conflict policy says when both did (recorded in the audit);
- echo suppression: a record version that only repeats what the hub last wrote changes
  nothing and sends nothing back;
- stale and repeated versions ignored (the poll window overlaps on purpose);
- remote comments added once each, public and internal kept apart;
- a status reached along the state machine's own moves, never forced;
- the remote side effects of the hub's own writes, declared by each connector (RT opens a
  ticket on a reply), never taken for a remote edit (``hub.sync.effects``).
"""

from hub.sync.inbound import apply_remote_update, remember_created

__all__ = ["apply_remote_update", "remember_created"]

"""The Request Tracker 5 connector: polls a queue's changed tickets in, pushes hub changes out (REST2).

Pull: TicketSQL ``Queue = 'X' AND LastUpdated > 'cursor - overlap'`` ordered by
LastUpdated, then id. RT keeps dates to the second, so the window overlaps on purpose: a
ticket seen before at the same id and LastUpdated is passed over without another call,
and each version is one event keyed ``id:LastUpdated:ETag`` (the ETag names the ticket's
last transaction, so two changes within one second are still two versions). Paging asks
again from the newest LastUpdated of each page rather than walking page numbers, so a
ticket updated during a long walk moves to the end without pushing another out of sight;
``next_page`` is followed only through a page that is all one second. Each changed ticket
travels with its history: ``Create`` gives the description, ``Correspond`` a public reply,
``Comment`` an internal note.

Files: RT keeps them as the parts of a transaction that have a Filename (the body and the
multipart container around it are parts too). Each changed ticket's files are listed with
``GET /ticket/{id}/attachments``, and those of its Create, Correspond (public) and Comment
(internal) transactions travel with it, each fetched once (``attachments_shipped``). A
hub file goes out as a reply (public) or a comment (internal), with its file, so it stays
as visible in RT as in the hub; a repeated attempt first searches the ticket for the same
file (name, size, then bytes) from the hub's RT user, so a retry after a lost answer or a
killed worker uploads nothing twice. RT answers 201 even when its size limit cut the file:
it is read back.

Push: our reference rides at the end of the Subject (``[hub INC-000042]``) of the tickets
the hub makes. A create first searches for it, so a create whose answer was lost is
found, never made twice. An update reads the ticket, leaves alone any field RT changed
since the last sync (the next poll settles it by the field's policy), and writes with
``If-Match``: a 412 means someone wrote in between, so it reads again and retries, and
after a few tries leaves the message to the outbox's backoff. RT answers a PUT 200 even
when it refuses a change (the refusal is one of its messages): a field RT did not
confirm is read back, and one that did not change fails the delivery. A reply repeated
after a lost answer or a killed worker is first looked for among our replies since it was
queued. RT's default scrip opens a ticket that is not active on any reply, ours too
(``AUTO_OPEN``, declared so the sync engine takes it for the hub's own doing).
"""

from __future__ import annotations

from typing import ClassVar

from connectors.rt.config import DEFAULT_EFFECTS, DEFAULT_RULES, RTConfig
from connectors.rt.pull import RTPull
from connectors.rt.push import RTPush
from hub.sdk.sync import FieldRule
from hub.sdk.write_effects import WriteEffect


class RTConnector(RTPull, RTPush):
    slug = "rt"
    title = "Request Tracker"
    version = "0.1.0"
    description = "Two-way sync of a Request Tracker 5 queue with hub incidents or changes (REST2 API)."
    config_schema = RTConfig
    default_field_rules: ClassVar[tuple[FieldRule, ...]] = DEFAULT_RULES
    default_write_effects: ClassVar[tuple[WriteEffect, ...]] = DEFAULT_EFFECTS
    names_requester = True
    """A ticket it creates names the requester as Requestor when RT speaks to them."""

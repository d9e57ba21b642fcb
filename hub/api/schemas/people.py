"""Schemas of profiles: the caller's own (/api/v1/me) and users an admin manages."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from hub.api.schemas.tickets import Strict


class ProfileSchema(ma.Schema):
    username = fields.String()
    display_name = fields.String(metadata={"description": "What requesters see on replies; empty: the team."})
    email = fields.String(allow_none=True)
    role = fields.String()
    timezone = fields.String(metadata={"description": "IANA zone the pages show times in, e.g. Europe/Berlin."})
    language = fields.String(metadata={
        "description": "Language tag: the agents' pages speak it where they are translated (English for now)."})
    active = fields.Boolean()


class ProfilePatchSchema(Strict):
    """Checked by hub.auth.profile, so the API, pages and CLI refuse the same values alike."""

    display_name = fields.String()
    timezone = fields.String()
    language = fields.String()

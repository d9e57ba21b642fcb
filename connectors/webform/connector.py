"""The web form connector: an admin-defined public form whose submissions become tickets."""

from __future__ import annotations

import base64

from connectors.webform.config import WebformConfig
from hub.sdk import Attachment, Connector, EventInfo, SkippableError, TicketDraft

DIRECT = ("title", "description", "requester_name", "requester_email", "department", "category", "impact",
          "urgency", "ci")


class WebformConnector(Connector):
    slug = "webform"
    title = "Web form"
    version = "1.0.0"
    description = ("A public form at /f/<instance> (and a JSON endpoint for your own pages): guests, customers "
                   "and staff report a problem in a minute and follow it on a private status page.")
    config_schema = WebformConfig

    def normalize(self, event: EventInfo) -> TicketDraft:
        payload = event.payload or {}
        values = payload.get("values")
        if not isinstance(values, dict):
            raise SkippableError("The submission has no values.")
        draft = TicketDraft(kind=self.config.get("kind", "incident"))
        # The language the form was filled in: the acknowledgement and the status page speak it.
        language = payload.get("language")
        draft.language = language if isinstance(language, str) else None
        extra: list[str] = []
        for spec in self.config["fields"]:
            name = spec["name"]
            if spec["type"] == "file" or name not in values:
                continue
            value = values[name]
            target = spec["maps_to"]
            if target in DIRECT:
                setattr(draft, target, value if target not in ("impact", "urgency") else str(value).lower())
            else:
                draft.custom_fields[name] = value
                if isinstance(value, str) and value:
                    extra.append(f"{spec['label']}: {value}")
        # The department's custom fields the form asked (views.with_custom_fields), by name.
        asked = payload.get("custom_fields")
        if isinstance(asked, dict):
            draft.custom_fields.update({str(name): value for name, value in asked.items()})
        if not draft.title:
            first_line = (draft.description or "").strip().splitlines()[0] if draft.description.strip() else ""
            draft.title = (first_line[:120] or self.config["title"])
        if extra:
            # The custom fields, readable in the description too: agents see them at a glance.
            draft.description = "\n".join(filter(None, [draft.description, "", *extra])).strip()
        for item in payload.get("files") or []:
            draft.attachments.append(Attachment(filename=item["filename"], content_type=item["content_type"],
                                                data=base64.b64decode(item["data"])))
        draft.tags.append(f"form:{self.instance.slug}")
        return draft

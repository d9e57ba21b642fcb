"""A form in the requester's language: its own words (title, introduction, labels, help,
the text of each option) from the definition's ``translations``, where the admin gave them.

The hub's words around them (buttons, messages) come from the hub's catalogues; these are
the admin's, so they live in the form's definition. What a translation leaves out is shown
as the form defines it; stored values (a select's option) never change.
"""

from __future__ import annotations

from typing import Any


def wording_for(config: dict[str, Any], language: str) -> dict[str, Any]:
    """The form's translation for ``language`` (``es-mx`` falls back to ``es``), or empty."""
    translations = config.get("translations") or {}
    return dict(translations.get(language) or translations.get(language.split("-")[0]) or {})


def worded(config: dict[str, Any], language: str) -> dict[str, Any]:
    """The definition as a requester reading ``language`` sees it (a copy; ``config`` is kept)."""
    wording = wording_for(config, language)
    if not wording:
        return config
    words = wording.get("fields") or {}
    fields = []
    for spec in config["fields"]:
        own = words.get(spec["name"]) or {}
        fields.append({**spec, "label": own.get("label") or spec["label"], "help": own.get("help") or spec["help"],
                       "option_labels": dict(own.get("options") or {})})
    return {**config, "title": wording.get("title") or config["title"],
            "intro": wording.get("intro") or config.get("intro", ""), "fields": fields}

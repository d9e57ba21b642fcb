"""Plain text to and from the Atlassian Document Format (ADF), which REST v3 requires for
descriptions and comment bodies.

Text becomes one paragraph per line, so that reading back what the hub wrote gives the
same text to the character: the sync compares values, and a lossy round trip would look
like a change on every poll. A document a Jira user wrote reads as readable plain text:
block nodes on lines of their own, list items marked, mentions and emoji as their text,
cards as their URLs. Formatting marks (bold, links, colours) are dropped.
"""

from __future__ import annotations

from typing import Any

LIST_MARKERS = {"bulletList": "- ", "orderedList": "{n}. ", "taskList": "[ ] ", "decisionList": "> "}
INLINE_ATTR_TEXT = {"mention": "text", "emoji": "text", "status": "text", "inlineCard": "url", "blockCard": "url",
                    "embedCard": "url", "placeholder": "text"}


def text_to_adf(text: str) -> dict[str, Any] | None:
    """A document for ``text``, one paragraph per line; None (no value) for empty text."""
    text = normalize_text(text)
    if not text:
        return None
    # ADF forbids empty text nodes: an empty line is an empty paragraph.
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")]}


def normalize_text(text: str | None) -> str:
    """Text as it comes back from Jira: Unix line ends, nothing else changed."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def adf_to_text(document: Any) -> str:
    """The plain text of a document (or of a string, for v2-style answers)."""
    if isinstance(document, str):
        return normalize_text(document)
    if not isinstance(document, dict):
        return ""
    return "\n".join(_blocks(document.get("content") or []))


def _blocks(nodes: list[Any]) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        if not isinstance(node, dict):
            continue
        kind = str(node.get("type") or "")
        children = [child for child in node.get("content") or [] if isinstance(child, dict)]
        if kind in LIST_MARKERS:
            first = int((node.get("attrs") or {}).get("order") or 1)
            for number, item in enumerate(children, start=first):
                lines.extend(_list_item(item, LIST_MARKERS[kind].format(n=number)))
        elif kind == "blockquote":
            lines.extend(f"> {line}" if line else ">" for line in _blocks(children))
        elif kind == "rule":
            lines.append("---")
        elif kind == "table":
            for row in children:
                cells = [cell for cell in row.get("content") or [] if isinstance(cell, dict)]
                lines.append(" | ".join(" ".join(_blocks(cell.get("content") or [])) for cell in cells))
        elif kind in ("mediaSingle", "mediaGroup", "media"):
            continue  # attachments are not synced
        elif kind in ("paragraph", "heading", "codeBlock"):
            lines.extend(_inline(children).split("\n"))
        elif kind in INLINE_ATTR_TEXT or kind in ("text", "hardBreak", "date"):
            lines.extend(_inline([node]).split("\n"))
        else:  # panel, expand, layouts, extensions: their content, if any
            lines.extend(_blocks(children))
    return lines


def _list_item(item: dict[str, Any], marker: str) -> list[str]:
    if item.get("type") in ("taskItem", "decisionItem"):
        # Their content is inline, not blocks.
        if item.get("type") == "taskItem" and (item.get("attrs") or {}).get("state") == "DONE":
            marker = "[x] "
        lines = _inline(item.get("content") or []).split("\n")
    else:
        lines = _blocks(item.get("content") or []) or [""]
    return [(marker if index == 0 else " " * len(marker)) + line for index, line in enumerate(lines)]


def _inline(nodes: list[Any]) -> str:
    parts: list[str] = []
    for node in nodes:
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "text":
            parts.append(str(node.get("text") or ""))
        elif kind == "hardBreak":
            parts.append("\n")
        elif kind in INLINE_ATTR_TEXT:
            attrs = node.get("attrs") or {}
            parts.append(str(attrs.get(INLINE_ATTR_TEXT[str(kind)]) or attrs.get("shortName") or ""))
        elif kind == "date":
            parts.append(str((node.get("attrs") or {}).get("timestamp") or ""))
        else:
            parts.append(_inline(node.get("content") or []))
    return "".join(parts)

"""HTML mail bodies as plain text: nothing of the markup survives to run or to style.

Mail clients send HTML-only messages; the hub keeps text. Block elements become line
breaks, lists become dashes, links keep their address. A ``<script>`` element is kept as
visible text (``<script>...</script>``), so an agent sees that the sender tried it, but as
characters, never as markup: every page escapes it. Styles, heads and comments are dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({
    "p", "div", "section", "article", "header", "footer", "blockquote", "pre", "table", "tr", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "address", "center", "form", "fieldset", "dl", "dt", "dd",
})
_DROPPED = frozenset({"style", "head", "title", "noscript", "template", "svg", "math", "object", "iframe"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"})
_MANY_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
MAX_HTML = 2_000_000
"""Characters of HTML read; the rest of a huge body is cut (a mail, not a web archive)."""


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping: list[str] = []
        self.script_depth = 0
        self.pre = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.script_depth:
            return
        if self.dropping or tag in _DROPPED:
            if tag not in _VOID:
                self.dropping.append(tag)
            return
        if tag == "script":
            self.script_depth = 1
            self.out.append("\n<script>")
            return
        self._open(tag, dict(attrs))

    def _open(self, tag: str, attrs: dict[str, str | None]) -> None:
        """The text an opening tag stands for: a line break, a list bullet, a cell gap, ..."""
        if tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append("\t")
        elif tag in _BLOCKS:
            self.out.append("\n\n" if tag in ("p", "blockquote", "table", "ul", "ol") else "\n")
            if tag == "pre":
                self.pre += 1
            if tag == "hr":
                self.out.append("----\n")
        elif tag == "a":
            self.links.append(attrs.get("href"))
        elif tag == "img" and attrs.get("alt"):
            self.out.append(f"[{attrs['alt']}]")

    def handle_endtag(self, tag: str) -> None:
        if self.script_depth:
            if tag == "script":
                self.script_depth = 0
                self.out.append("</script>\n")
            return
        if self.dropping:
            if tag in self.dropping:
                while self.dropping and self.dropping.pop() != tag:
                    pass
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and re.match(r"(?i)^(https?|mailto):", href.strip()):
                self.out.append(f" <{href.strip()}>")
        elif tag in _BLOCKS:
            self.out.append("\n")
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.script_depth or self.pre:
            self.out.append(data)
            return
        self.out.append(_SPACES.sub(" ", data.replace("\n", " ")))

    def handle_comment(self, data: str) -> None:
        """Comments (and Outlook's conditional comments) are not content."""


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body; never raises."""
    maker = _TextMaker()
    try:
        maker.feed(html[:MAX_HTML])
        maker.close()
    except Exception:  # noqa: S110 - html.parser is lenient; keep whatever was read
        pass
    text = "".join(maker.out)
    lines = [line.rstrip() if line.startswith(("\t", "- ")) else line.strip() for line in text.split("\n")]
    return _MANY_BLANKS.sub("\n\n", "\n".join(lines)).strip()


# Lines that start the quoted original in a reply, in the languages customers write in.
_REPLY_INTRO = re.compile(
    r"^(on\b.{0,300}\bwrote:|am\b.{0,300}\bschrieb.{0,200}:|le\b.{0,300}\ba écrit ?:|el\b.{0,300}\bescribió:"
    r"|op\b.{0,300}\bschreef.{0,200}:|il\b.{0,300}\bha scritto:"
    r"|-{2,} ?(original message|ursprüngliche nachricht|message d'origine|mensaje original) ?-{2,}"
    r"|_{20,})\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r"^(from|von|de|da|van):\s", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^(sent|gesendet|envoyé|enviado|inviato|verzonden|date|datum|to|an|à|para):\s",
                          re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """A reply without the quoted original below it; the text unchanged if nothing else is left."""
    lines = text.replace("\r\n", "\n").split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        joined = " ".join(part.strip() for part in lines[index:index + 2])
        if _REPLY_INTRO.match(stripped) or (stripped.lower().startswith(("on ", "am ", "le ", "el ")) and
                                            _REPLY_INTRO.match(joined) and len(stripped) < 300):
            cut = index
            break
        if _HEADER_BLOCK.match(stripped) and any(_HEADER_NEXT.match(next_line.strip())
                                                 for next_line in lines[index + 1:index + 4]):
            cut = index
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()

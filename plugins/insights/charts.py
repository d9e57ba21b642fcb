"""Bar charts drawn on the server as SVG: no script, nothing from the internet, readable
without colour (every bar carries its number) and by screen readers (a title and a table
of the same figures sits beside each chart)."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, BAR, GAP, LABEL = 640, 18, 6, 180


def bars(rows: list[tuple[str, int]], title: str) -> Markup:
    if not rows:
        return Markup(f'<p class="muted">{escape(title)}: nothing in this period.</p>')  # noqa: S704 (escaped)
    top = max(count for _, count in rows) or 1
    height = len(rows) * (BAR + GAP) + GAP
    parts = [f'<figure class="chart-figure"><figcaption>{escape(title)}</figcaption>'
             f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for index, (label, count) in enumerate(rows):
        y = GAP + index * (BAR + GAP)
        length = max(1, int((WIDTH - LABEL - 60) * count / top))
        parts.append(f'<text x="{LABEL - 8}" y="{y + BAR - 5}" text-anchor="end" class="chart-label">'
                     f'{escape(str(label)[:28])}</text>'
                     f'<rect x="{LABEL}" y="{y}" width="{length}" height="{BAR}" class="chart-bar"></rect>'
                     f'<text x="{LABEL + length + 6}" y="{y + BAR - 5}" class="chart-value">{count}</text>')
    parts.append("</svg></figure>")
    return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above; the rest are numbers)

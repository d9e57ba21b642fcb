"""Line charts drawn on the server as SVG, for figures over time: no script, nothing from the
internet. Readable without colour (each line has its own dash pattern and point marker, named
in a legend), by screen readers (a title and a description name what is drawn, and the same
figures sit in a table behind a "figures as a table" toggle) and on a phone (a narrow drawing
scaled to the width, a legend that wraps, a table that scrolls on its own)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from hub.sdk.i18n import gettext as _

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 30
BASE = HEIGHT - BOTTOM  # the zero line's y
#: Dash patterns and markers told apart without colour, in the order lines are drawn.
DASHES = ("", "8 4", "2 4", "10 4 2 4", "4 2")
MARKERS = ("circle", "square", "diamond", "triangle", "cross")
#: The drawn markers' corners around their point.
CORNERS: dict[str, list[tuple[float, float]]] = {
    "diamond": [(0, -4.5), (4.5, 0), (0, 4.5), (-4.5, 0)], "triangle": [(0, -4.5), (4.5, 4), (-4.5, 4)],
    "cross": [(-4, -4), (4, 4), (0, 0), (4, -4), (-4, 4), (0, 0)]}

Series = Mapping[str, Sequence[tuple[str, float | None]]]


def lines(series: Series, title: str, *, ident: str, unit: str = "", buckets: Sequence[str] = ()) -> Markup:
    """A chart of one line per entry of ``series`` (name -> ``(bucket, value)`` points, None for
    a bucket without a value), over ``buckets`` (the period's, evenly spaced, so the axis is
    one of time) and any other bucket a line has. A line breaks where it has no value."""
    buckets = sorted(set(buckets) | {bucket for points in series.values() for bucket, _value in points})
    values = [value for points in series.values() for _bucket, value in points if value is not None]
    if not values:
        return Markup('<p class="muted">{}</p>').format(_("%(title)s: nothing in this period.", title=title))
    top = _ceiling(max(values))
    x_of = {bucket: _x(index, len(buckets)) for index, bucket in enumerate(buckets)}

    def y(value: float) -> float:
        return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top), 1)

    parts = [_frame(title, ident, series, buckets, unit, top)]
    for index, points in enumerate(series.values()):
        value_at = dict(points)
        drawn = [(x_of[b], y(v)) if (v := value_at.get(b)) is not None else None for b in buckets]
        parts.extend(_line(drawn, index % len(DASHES)))
    parts.append("</svg>")
    # The table lists the buckets with a value only: a month of days is mostly empty rows else.
    listed = [b for b in buckets if any(dict(points).get(b) is not None for points in series.values())]
    return Markup("".join(parts)) + _legend(series) + _table(series, listed, title, unit)  # noqa: S704


def _x(index: int, count: int) -> float:
    if count == 1:
        return LEFT + (WIDTH - LEFT - RIGHT) / 2
    return round(LEFT + (WIDTH - LEFT - RIGHT) * index / (count - 1), 1)


def _ceiling(value: float) -> float:
    """A round top for the axis (1, 2 or 5 times a power of ten) at or above the largest value."""
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return float(factor * step)
    return float(10 * step)


def _frame(title: str, ident: str, series: Series, buckets: list[str], unit: str, top: float) -> str:
    names = ", ".join(series)
    desc = _("One line per %(what)s, from %(first)s to %(last)s; the highest value is %(top)s%(unit)s.",
             what=names, first=buckets[0], last=buckets[-1],
             top=_number(max(v for points in series.values() for _b, v in points if v is not None)), unit=unit)
    bottom, label_y = HEIGHT - BOTTOM, HEIGHT - BOTTOM + 16
    middle = buckets[len(buckets) // 2] if len(buckets) > 2 else None
    centre = (LEFT + WIDTH - RIGHT) / 2
    ticks: list[tuple[str, float, str]] = [(buckets[0], centre, "middle")]
    if len(buckets) > 1:
        ticks = [(buckets[0], LEFT, "start"), (buckets[-1], WIDTH - RIGHT, "end")]
    if middle is not None:
        ticks.append((middle, centre, "middle"))
    text = "".join(f'<text x="{x}" y="{label_y}" text-anchor="{anchor}" class="chart-label">{escape(label)}</text>'
                   for label, x, anchor in ticks)
    return (f'<figure class="chart-figure" id="{escape(ident)}"><figcaption>{escape(title)}</figcaption>'
            f'<svg class="chart chart-lines" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
            f'aria-labelledby="{escape(ident)}-title {escape(ident)}-desc">'
            f'<title id="{escape(ident)}-title">{escape(title)}</title>'
            f'<desc id="{escape(ident)}-desc">{escape(desc)}</desc>'
            f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" class="chart-axis"></line>'
            f'<line x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}" class="chart-grid"></line>'
            f'<text x="{LEFT - 6}" y="{TOP + 5}" text-anchor="end" class="chart-label">{_number(top)}</text>'
            f'<text x="{LEFT - 6}" y="{bottom + 5}" text-anchor="end" class="chart-label">0</text>{text}')


def _line(points: list[tuple[float, float] | None], style: int) -> list[str]:
    """The line through the points, broken where a bucket has no value, and a marker at each
    above zero."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    dash = f' stroke-dasharray="{DASHES[style]}"' if DASHES[style] else ""
    drawn = [f'<polyline points="{" ".join(f"{x},{y}" for x, y in run)}" class="chart-line chart-line-{style}"'
             f'{dash}></polyline>' for run in runs if len(run) > 1]
    # No marker on the zero line: a month of days without faults would be a row of beads
    # hiding each other; the line itself still shows the zeros.
    drawn += [_marker(x, y, style) for point in points if point is not None and point[1] < BASE for x, y in [point]]
    return drawn


def _marker(x: float, y: float, style: int) -> str:
    shape, css = MARKERS[style], f"chart-dot chart-line-{style}"
    if shape == "circle":
        return f'<circle cx="{x}" cy="{y}" r="3.5" class="{css}"></circle>'
    if shape == "square":
        return f'<rect x="{x - 3.5}" y="{y - 3.5}" width="7" height="7" class="{css}"></rect>'
    corners = CORNERS[shape]
    return f'<polygon points="{" ".join(f"{x + dx},{y + dy}" for dx, dy in corners)}" class="{css}"></polygon>'


def _legend(series: Series) -> Markup:
    if len(series) < 2:
        return Markup("")
    items = []
    for index, name in enumerate(series):
        style = index % len(DASHES)
        dash = f' stroke-dasharray="{DASHES[style]}"' if DASHES[style] else ""
        items.append(f'<li><svg viewBox="0 0 36 12" width="36" height="12" aria-hidden="true">'
                     f'<line x1="0" y1="6" x2="36" y2="6" class="chart-line chart-line-{style}"{dash}></line>'
                     f'{_marker(18, 6, style)}</svg> {escape(name)}</li>')
    return Markup(f'<ul class="chart-legend">{"".join(items)}</ul>')  # noqa: S704 (names escaped)


def _table(series: Series, buckets: list[str], title: str, unit: str) -> Markup:
    values = {name: dict(points) for name, points in series.items()}
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in series)
    rows = "".join(f'<tr><th scope="row">{escape(bucket)}</th>'
                   + "".join(f"<td>{_cell(values[name].get(bucket), unit)}</td>" for name in series) + "</tr>"
                   for bucket in buckets)
    return Markup(  # noqa: S704 (every text in it is escaped; the rest are numbers)
        f'<details class="chart-data"><summary>{escape(_("Show the figures as a table"))}</summary>'
        f'<div class="table-wrap"><table><caption>{escape(title)}</caption><thead><tr>'
        f'<th scope="col">{escape(_("Period"))}</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>'
        f"</details></figure>")


def _cell(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{_number(value)}{escape(unit)}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"

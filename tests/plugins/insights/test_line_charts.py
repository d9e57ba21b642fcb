"""The server-drawn line charts: what they draw, what they say to a screen reader, and their table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from plugins.insights.line_charts import _ceiling, lines


@pytest.fixture(autouse=True)
def in_request(app: Any) -> Iterator[None]:
    with app.test_request_context():
        yield


def test_one_line_per_series_each_told_apart_without_colour() -> None:
    drawn = str(lines({"All": [("2026-11-01", 4.0), ("2026-11-02", 5.0)],
                       "Ann": [("2026-11-01", 2.0), ("2026-11-02", 3.0)]}, "Satisfaction", ident="csat"))
    assert drawn.count("<polyline") == 2
    assert 'class="chart-line chart-line-0"></polyline>' in drawn  # solid
    assert 'class="chart-line chart-line-1" stroke-dasharray="8 4"' in drawn  # dashed
    assert drawn.count("<circle") == 3 and drawn.count("<rect") == 3  # markers differ too (2 drawn, 1 in the legend)
    assert '<ul class="chart-legend">' in drawn and "Ann</li>" in drawn
    assert '<title id="csat-title">Satisfaction</title>' in drawn
    assert re.search(r'<desc id="csat-desc">One line per All, Ann, from 2026-11-01 to 2026-11-02; '
                     r"the highest value is 5\.</desc>", drawn)


def test_the_table_has_the_same_figures_and_a_gap_breaks_the_line() -> None:
    drawn = str(lines({"Filler 1": [("2026-11-01", 3.0), ("2026-11-02", None), ("2026-11-03", 5.5)]},
                      "Faults", ident="faults", unit=" h"))
    assert "<polyline" not in drawn  # two runs of one point each: markers only
    assert drawn.count("<circle") == 2
    assert "<tr><th scope=\"row\">2026-11-01</th><td>3 h</td></tr>" in drawn
    assert "2026-11-02</th>" not in drawn  # the table lists buckets with a value
    assert "<td>5.5 h</td>" in drawn
    assert "chart-legend" not in drawn  # one line needs no legend: the title names it


def test_names_are_escaped_and_nothing_is_said_plainly() -> None:
    drawn = str(lines({"<b>x</b>": [("2026-11-01", 1.0), ("2026-11-02", 2.0)], "y": [("2026-11-01", 1.0)]},
                      "A & B", ident="t"))
    assert "<b>" not in drawn and "&lt;b&gt;x&lt;/b&gt;" in drawn and "A &amp; B" in drawn
    assert str(lines({"All": [("2026-11-01", None)]}, "Satisfaction", ident="s")) == \
        '<p class="muted">Satisfaction: nothing in this period.</p>'


@pytest.mark.parametrize(("value", "top"), [(0, 1.0), (0.3, 0.5), (1, 1.0), (3.2, 5.0), (4.0, 5.0), (5, 5.0),
                                            (12, 20.0), (480, 500.0), (1001, 2000.0)])
def test_the_axis_tops_at_a_round_number(value: float, top: float) -> None:
    assert _ceiling(value) == top


def test_the_axis_is_one_of_time_and_a_missing_bucket_is_a_gap() -> None:
    days = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    drawn = str(lines({"All": [("2026-11-01", 1.0), ("2026-11-02", 2.0), ("2026-11-04", 4.0)]}, "T", ident="t",
                      buckets=days))
    # Four evenly spaced days over the plot's width (44 to 468), 1 of 5 a fifth up the height.
    assert '<polyline points="44.0,138.4 185.3,' in drawn and '<circle cx="468.0"' in drawn
    assert drawn.count("<polyline") == 1  # Nov 1-2 joined; Nov 4 alone after the missing Nov 3
    assert "2026-11-03</th>" not in drawn and "2026-11-04</th>" in drawn

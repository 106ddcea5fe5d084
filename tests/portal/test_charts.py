from __future__ import annotations

import re

from django.utils import translation

from portal.charts import bar_chart


def bars(svg: str) -> list[tuple[float, float]]:
    return [
        (float(x), float(w)) for x, w in re.findall(r'<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    ]


def test_bars_grow_from_the_start_side_in_both_directions():
    rows = [("Submitted", 4), ("Approved", 2)]
    with translation.override("en"):
        ltr = str(bar_chart(rows, title="By state", width=500, label_width=200))
    with translation.override("ar"):
        rtl = str(bar_chart(rows, title="By state", width=500, label_width=200))
    # left to right: bars start just after the labels; right to left: they end just before them
    assert [x for x, _w in bars(ltr)] == [200.0, 200.0]
    assert [round(x + w) for x, w in bars(rtl)] == [300, 300]
    # the longest value gets the longest bar in both
    assert bars(ltr)[0][1] == 2 * bars(ltr)[1][1] and bars(rtl)[0][1] == 2 * bars(rtl)[1][1]
    assert 'direction="rtl"' in rtl and 'role="img"' in rtl


def test_labels_are_escaped_and_an_empty_chart_is_still_valid():
    with translation.override("en"):
        svg = str(bar_chart([("<script>", 1)], title="x"))
        empty = str(bar_chart([], title="Nothing"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert empty.startswith("<svg") and "<title" in empty

"""Bar charts drawn on the server as SVG: no JavaScript, no CDN, mirrored for right-to-left pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_bidi

_ids = count(1)


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 560,
    label_width: int = 200,
    bar_height: int = 22,
    gap: int = 8,
    decimals: int = 0,
    css_class: str = "bar",
    value_text: Callable[[float], str] | None = None,
    links: Sequence[str | None] | None = None,
    label_chars: int = 30,
) -> SafeString:
    """A horizontal bar chart of ``rows`` (label, value); labels sit on the start side.

    ``value_text`` writes a value with its unit ("3 requests"), else ``unit`` follows the number.
    With ``links`` (one URL or None per row) each bar, its label and its value lead to that URL,
    a link named "label: value unit"; the chart is then a group of links rather than one image.
    """
    rtl = get_language_bidi()
    direction = "rtl" if rtl else "ltr"
    chart_id = f"chart-{next(_ids)}"
    top = 4
    height = top + max(1, len(rows)) * (bar_height + gap)
    value_room = 70
    bar_room = max(40, width - label_width - value_room)
    biggest = max((value for _label, value in rows), default=0) or 1

    def x(position: float) -> float:
        # Geometry is computed left to right and mirrored for right-to-left pages.
        return width - position if rtl else position

    parts = []
    for index, (label, value) in enumerate(rows):
        y = top + index * (bar_height + gap)
        length = bar_room * (value / biggest) if value > 0 else 0
        start, end = x(label_width), x(label_width + length)
        if value_text is not None:
            shown = value_text(value)
        else:
            shown = number_format(value, decimal_pos=decimals)
            if unit:
                shown = f"{shown} {unit}"
        href = links[index] if links is not None and index < len(links) else None
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" direction="{}" dominant-baseline="middle">{}</text>'
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="2"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" text-anchor="start" direction="{}" dominant-baseline="middle">{}</text>',
                f"{x(label_width - 8):.1f}",
                y + bar_height / 2,
                direction,
                _truncate(label, label_chars),
                css_class,
                f"{min(start, end):.1f}",
                y,
                f"{length:.1f}",
                bar_height,
                label,
                shown,
                f"{x(label_width + length + 6):.1f}",
                y + bar_height / 2,
                direction,
                shown,
            )
        )
        if href:
            parts[-1] = format_html('<a href="{}" aria-label="{}: {}">{}</a>', href, label, shown, parts[-1])
    body = mark_safe("".join(parts))  # every part was escaped by format_html
    role = "group" if links is not None and any(links) else "img"
    return format_html(
        '<svg class="chart-svg" role="{}" aria-labelledby="{}" viewBox="0 0 {} {}" width="{}" height="{}" '
        'direction="{}" xmlns="http://www.w3.org/2000/svg"><title id="{}">{}</title>{}</svg>',
        role,
        chart_id,
        width,
        height,
        width,
        height,
        direction,
        chart_id,
        title,
        body,
    )


def _truncate(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def legend(items: Sequence[tuple[str, str]]) -> SafeString:
    """A small legend: (css class, label) pairs."""
    return format_html(
        '<ul class="list-inline small mb-0">{}</ul>',
        format_html_join(
            "",
            '<li class="list-inline-item"><svg width="12" height="12" aria-hidden="true" class="chart-svg">'
            '<rect class="{}" width="12" height="12"/></svg> {}</li>',
            items,
        ),
    )

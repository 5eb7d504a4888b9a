"""Bar charts drawn on the server as SVG, printed beside the table of the same numbers.

Hidden (suppressed) counts get no bar, only the words, so a chart never shows what the
table hides. Text is escaped: labels are ours, but nothing reaches SVG unescaped.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .suppression import Cell

BAR_COLOUR = "#1d70b8"  # GOV.UK blue: readable in greyscale print too
HIDDEN_COLOUR = "#505a5f"


def bar_chart(items: list[tuple[str, Cell]], *, title: str, compact: bool = False) -> str:
    """A horizontal bar chart (or, when `compact`, vertical columns for many small bins)."""
    if not items:
        return ""
    if compact:
        return _column_chart(items, title=title)
    label_width, bar_width, row_height = 190, 190, 22
    height = row_height * len(items) + 30
    largest = max((c.count for _label, c in items if not c.hidden), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {label_width + bar_width + 110} {height}" '
        f'width="{label_width + bar_width + 110}" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" class="chart-title" font-weight="bold" font-size="12">'
        f"{escape(title)}</text>",
    ]
    for index, (label, value) in enumerate(items):
        y = 26 + index * row_height
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" font-size="10">'
            f"{escape(label[:42])}</text>"
        )
        if value.hidden:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + 14}" font-size="10" '
                f'fill="{HIDDEN_COLOUR}" font-style="italic">{escape(value.text)}</text>'
            )
            continue
        width = round(bar_width * value.count / largest)
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{width}" height="{row_height - 8}" '
            f'fill="{BAR_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{label_width + width + 4}" y="{y + 14}" font-size="10">'
            f"{escape(value.text)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _column_chart(items: list[tuple[str, Cell]], *, title: str) -> str:
    column, plot_height = 26, 120
    width = column * len(items) + 20
    height = plot_height + 60
    largest = max((c.count for _label, c in items if not c.hidden), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-weight="bold" font-size="12">{escape(title)}</text>',
    ]
    base = 24 + plot_height
    for index, (label, value) in enumerate(items):
        x = 10 + index * column
        if value.hidden:
            parts.append(
                f'<text x="{x + column / 2}" y="{base - 4}" font-size="8" text-anchor="middle" '
                f'fill="{HIDDEN_COLOUR}">&lt;5</text>'
            )
        elif value.count:
            bar = max(1, round(plot_height * value.count / largest))
            parts.append(
                f'<rect x="{x + 3}" y="{base - bar}" width="{column - 6}" height="{bar}" '
                f'fill="{BAR_COLOUR}"/>'
            )
            parts.append(
                f'<text x="{x + column / 2}" y="{base - bar - 3}" font-size="8" '
                f'text-anchor="middle">{value.count}</text>'
            )
        parts.append(
            f'<text x="{x + column / 2}" y="{base + 14}" font-size="9" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))

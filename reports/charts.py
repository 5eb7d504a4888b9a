"""Bar charts drawn on the server as SVG, printed beside the table of the same numbers.

Hidden (suppressed) counts get no bar, only the words, so a chart never shows what the
table hides. Text is escaped: labels are ours, but nothing reaches SVG unescaped.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .suppression import Cell

BAR_COLOUR = "#1d70b8"  # GOV.UK blue: readable in greyscale print too
HIDDEN_COLOUR = "#505a5f"
# The report stylesheet's typeface (reports/static/reports/report.css): the document's CSS does
# not reach inside an SVG, so the charts name it themselves.
FONT_FAMILY = "Resettle Report Sans, sans-serif"


# Chart text is drawn at its own size (the SVG is never scaled down on the page, see
# report.css svg.chart): 11 px is 8.25 pt, the smallest print the reports use.
TEXT_SIZE = 11
TITLE_SIZE = 13
LABEL_CHARS = 30  # a label longer than this wraps onto further lines, whole words kept
NO_DATA = "No data this quarter"


def wrap_label(label: str, width: int = LABEL_CHARS) -> list[str]:
    """The label in lines of at most `width` characters, broken between words (a word longer
    than a line stands whole on its own line): a label is never cut short."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _no_data(title: str) -> str:
    return mark_safe(f'<p class="chart-empty"><strong>{escape(title)}</strong><br>{NO_DATA}</p>')


def bar_chart(items: list[tuple[str, Cell]], *, title: str, compact: bool = False) -> str:
    """A horizontal bar chart (or, when `compact`, vertical columns for many small bins).

    With nothing to draw (no rows, or every count nought and none hidden) it says so in words
    instead of drawing an empty chart."""
    if not items or all(not c.hidden and not c.count for _label, c in items):
        return _no_data(title)
    if compact:
        return _column_chart(items, title=title)
    label_width, bar_width, line_height = 200, 170, 14
    rows = [(wrap_label(label), value) for label, value in items]
    heights = [max(22, 8 + line_height * len(lines)) for lines, _value in rows]
    height = sum(heights) + 30
    total_width = label_width + bar_width + 70
    largest = max((c.count for _label, c in items if not c.hidden), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'font-family="{FONT_FAMILY}" '
        f'viewBox="0 0 {total_width} {height}" width="{total_width}" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="15" class="chart-title" font-weight="bold" font-size="{TITLE_SIZE}">'
        f"{escape(title)}</text>",
    ]
    y = 26
    for (lines, value), row_height in zip(rows, heights, strict=True):
        middle = y + row_height / 2
        first = middle - (len(lines) - 1) * line_height / 2 + 4
        parts.append(
            f'<text x="{label_width - 6}" y="{first:g}" text-anchor="end" '
            f'font-size="{TEXT_SIZE}">'
            + "".join(
                f'<tspan x="{label_width - 6}" y="{first + n * line_height:g}">{escape(line)}</tspan>'
                for n, line in enumerate(lines)
            )
            + "</text>"
        )
        if value.hidden:
            parts.append(
                f'<text x="{label_width + 4}" y="{middle + 4:g}" font-size="{TEXT_SIZE}" '
                f'fill="{HIDDEN_COLOUR}" font-style="italic">{escape(value.text)}</text>'
            )
        else:
            width = round(bar_width * value.count / largest)
            parts.append(
                f'<rect x="{label_width}" y="{middle - 7:g}" width="{width}" height="14" '
                f'fill="{BAR_COLOUR}"/>'
            )
            parts.append(
                f'<text x="{label_width + width + 4}" y="{middle + 4:g}" '
                f'font-size="{TEXT_SIZE}">{escape(value.text)}</text>'
            )
        y += row_height
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _column_chart(items: list[tuple[str, Cell]], *, title: str) -> str:
    longest = max(len(label) for label, _c in items)
    # 24 hours fit the page (178 mm, 673 px) unscaled: 24 columns of 24 px and the margin.
    column, plot_height = max(24, 7 * longest + 6), 120
    width = max(column * len(items) + 20, 8 * len(title))
    height = plot_height + 60
    largest = max((c.count for _label, c in items if not c.hidden), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'font-family="{FONT_FAMILY}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="15" font-weight="bold" font-size="{TITLE_SIZE}">{escape(title)}</text>',
    ]
    base = 24 + plot_height
    for index, (label, value) in enumerate(items):
        x = 10 + index * column
        if value.hidden:
            parts.append(
                f'<text x="{x + column / 2}" y="{base - 4}" font-size="{TEXT_SIZE}" '
                f'text-anchor="middle" fill="{HIDDEN_COLOUR}">&lt;5</text>'
            )
        elif value.count:
            bar = max(1, round((plot_height - 16) * value.count / largest))
            parts.append(
                f'<rect x="{x + 3}" y="{base - bar}" width="{column - 6}" height="{bar}" '
                f'fill="{BAR_COLOUR}"/>'
            )
            parts.append(
                f'<text x="{x + column / 2}" y="{base - bar - 3}" font-size="{TEXT_SIZE}" '
                f'text-anchor="middle">{value.count}</text>'
            )
        parts.append(
            f'<text x="{x + column / 2}" y="{base + 15}" font-size="{TEXT_SIZE}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))

"""An `AuditResult` as one self-contained HTML page a compliance officer can file.

No external asset of any kind: the CSS is inline, the chart is inline SVG, there is no
script, font or image to fetch, so the page reads the same offline, archived or printed.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from .classify import CATEGORIES, MISSING, UNEXPECTED
from .render import requirement_text, totals_text, verdict_text, window_text
from .result import AuditResult, DayRow

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; margin: 2rem auto; max-width: 1100px; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #d0d7de;
  padding-bottom: .3rem; }
p.meta { color: #57606a; margin: .15rem 0; }
.verdict { margin: 1.2rem 0; padding: .8rem 1rem; border-radius: 6px; font-weight: 600; }
.verdict.clean { background: #dafbe1; border: 1px solid #4ac26b; }
.verdict.findings { background: #ffebe9; border: 1px solid #ff8182; }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem .9rem; min-width: 6.5rem; }
.card b { display: block; font-size: 1.4rem; }
.card.bad b { color: #cf222e; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #d8dee4; padding: .3rem .5rem; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { color: #cf222e; font-weight: 600; }
td.t { white-space: nowrap; }
.cat { font-weight: 600; }
.cat.missing, .cat.unexpected { color: #cf222e; }
svg text { font: 11px system-ui, sans-serif; fill: #57606a; }
footer { margin-top: 2.5rem; color: #57606a; font-size: 12px; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
  tr { break-inside: avoid; } }
"""

_REQUIRED_COLOUR = "#8c959f"
_RECORDED_COLOUR = "#2da44e"
_MISSING_COLOUR = "#cf222e"


def render_html(result: AuditResult, *, generated: datetime | None = None) -> str:
    """The page; `generated` (when the report was made) is printed in its footer."""
    tenants = ", ".join(name for _, name in result.tenants) or "every visible tenant"
    c = result.categories
    cards = [
        ("in scope", result.in_scope, False),
        ("required", result.required, False),
        *((name, c[name], name in (MISSING, UNEXPECTED) and c[name] > 0) for name in CATEGORIES),
        ("out of scope", sum(result.out_of_scope.values()), False),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Recording audit {escape(_short(result))}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>Recording audit</h1>",
        f'<p class="meta">Window: {escape(window_text(result))}</p>',
        f'<p class="meta">Tenants: {escape(tenants)}'
        + (f"; user {escape(result.user)}" if result.user else "")
        + "</p>",
        f'<p class="meta">{escape(requirement_text(result))}</p></header>',
        f'<div class="verdict {"clean" if result.clean else "findings"}" id="verdict">'
        f"{escape(verdict_text(result))}</div>",
        '<section id="summary"><h2>Summary</h2><div class="cards">',
        *(
            f'<div class="card{" bad" if bad else ""}"><b>{value:,}</b>{escape(label)}</div>'
            for label, value, bad in cards
        ),
        f"</div><p>{escape(totals_text(result))}</p></section>",
        '<section id="chart"><h2>Required and recorded calls per day</h2>',
        _chart(result.days),
        "</section>",
        _exceptions(result),
        _per_user(result),
        "<footer>",
        "Categories: <b>ok</b> recorded as required, or neither required nor recorded; "
        "<b>missing</b> required, no recording kept; <b>deleted</b> required, recorded, "
        "the recording deleted since; <b>on-demand</b> not required, recorded by a party "
        "allowed to record on demand; <b>unexpected</b> recorded though nothing allows it.",
        (f"<br>Generated {escape(generated.isoformat(timespec='seconds'))}" if generated else "")
        + " by wazo-rec audit.",
        "</footer></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _short(result: AuditResult) -> str:
    return f"{result.start:%Y-%m-%d} to {result.end:%Y-%m-%d}"


def _chart(days: tuple[DayRow, ...]) -> str:
    """Grouped bars per day: required (grey) and, of those, recorded (green); a red tick
    above a day with missing calls."""
    if not days:
        return "<p>No day to show.</p>"
    width, height = 1000, 260
    left, right, top, bottom = 48, 12, 16, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(d.required for d in days), 1)
    step = _nice(peak / 4)
    ticks = -(-peak // step)  # ceil: the axis ends on a round number at or above the peak
    scale = step * ticks
    slot = plot_w / len(days)
    bar = max(min(slot * 0.36, 28), 1.0)
    every = max(1, round(len(days) / 14))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="Required and recorded calls per day">'
    ]
    for i in range(ticks + 1):
        y = top + plot_h - plot_h * i / ticks
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#d8dee4" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{step * i}</text>'
        )
    for n, day in enumerate(days):
        x = left + slot * n + (slot - 2 * bar) / 2
        series = (
            (day.required, _REQUIRED_COLOUR, "required"),
            (day.recorded, _RECORDED_COLOUR, "recorded"),
        )
        for k, (value, colour, what) in enumerate(series):
            h = plot_h * value / scale
            out.append(
                f'<rect x="{x + k * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{day.day.isoformat()}: {value} '
                f"{what}</title></rect>"
            )
        if day.missing:
            y = top + plot_h - plot_h * day.required / scale - 6
            out.append(
                f'<text x="{x + bar:.1f}" y="{y:.1f}" text-anchor="middle" '
                f'style="fill:{_MISSING_COLOUR};font-weight:600">{day.missing}</text>'
            )
        if n % every == 0:
            out.append(
                f'<text x="{left + slot * n + slot / 2:.1f}" y="{top + plot_h + 16}" '
                f'text-anchor="middle">{day.day:%m-%d}</text>'
            )
    legend_y = height - 8
    for k, (colour, label) in enumerate(
        (
            (_REQUIRED_COLOUR, "required"),
            (_RECORDED_COLOUR, "recorded (of the required)"),
            (_MISSING_COLOUR, "number missing"),
        )
    ):
        x = left + k * 220
        out.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="{legend_y}">{label}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _nice(value: float) -> int:
    """The smallest whole 1, 2 or 5 x 10^n at or above `value`: the step of the axis."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _exceptions(result: AuditResult) -> str:
    parts = ['<section id="exceptions"><h2>Missing and unexpected calls</h2>']
    if not result.exceptions:
        parts.append("<p>None.</p></section>")
        return "".join(parts)
    parts.append(
        "<table><thead><tr><th>Category</th><th>CDR</th><th>Start (local)</th><th>Direction</th>"
        "<th>Source</th><th>Destination</th><th>Flag that required or forbade it</th>"
        "</tr></thead><tbody>"
    )
    for v in result.exceptions:
        destination = v.destination.text + (f" via {v.via}" if v.via else "")
        parts.append(
            f'<tr><td class="cat {escape(v.category or "")}">{escape(v.category or "")}</td>'
            f'<td class="n">{v.cdr_id}</td>'
            f'<td class="t">{escape(f"{v.start:%Y-%m-%d %H:%M:%S}" if v.start else "")}</td>'
            f"<td>{escape(v.direction or '')}</td><td>{escape(v.source.text)}</td>"
            f"<td>{escape(destination)}</td>"
            f"<td>{'<br>'.join(escape(r.text) for r in v.reasons)}</td></tr>"
        )
    parts.append("</tbody></table></section>")
    return "".join(parts)


def _per_user(result: AuditResult) -> str:
    parts = ['<section id="users"><h2>Per user and direction</h2>']
    if not result.rows:
        parts.append("<p>No answered call between users in the window.</p></section>")
        return "".join(parts)
    numbers = ("calls", "required", "recorded", "missing", "deleted", "on_demand", "unexpected")
    headers = "".join(f'<th class="n">{n.replace("_", "-")}</th>' for n in numbers)
    parts.append(
        f"<table><thead><tr><th>User</th><th>Direction</th>{headers}<th>Requirement</th>"
        "</tr></thead><tbody>"
    )
    for row in result.rows:
        cells = []
        for name in numbers:
            value = getattr(row, name)
            bad = name in ("missing", "unexpected") and value
            cells.append(f'<td class="n{" bad" if bad else ""}">{value}</td>')
        parts.append(
            f"<tr><td>{escape(row.user)}</td><td>{escape(row.direction)}</td>{''.join(cells)}"
            f"<td>{escape(row.requirement)}</td></tr>"
        )
    parts.append("</tbody></table></section>")
    return "".join(parts)

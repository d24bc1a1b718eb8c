"""Charts over real time for the catalogue page, as inline SVG: a time-axis line chart with
reference lines (the network's size against the promised figures) and the small trend lines of
the promise tracker. Dates are placed by their day, so uneven snapshot dates read true."""

from __future__ import annotations

import html
import math
from datetime import date
from typing import Any

PALETTE = ("#000091", "#e1000f", "#18753c", "#b34000", "#6a6af4", "#009099")
REFERENCE_COLOUR = "#6a6a6a"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _fmt(value: float) -> str:
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:.2f}".replace(".", ",")


def nice_step(high: float, ticks: int = 4) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10^n) covering `high` in about `ticks` steps."""
    raw = max(high, 1e-9) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def time_chart(
    chart_id: str,
    title: str,
    series: dict[str, list[tuple[date, float]]],
    references: list[tuple[str, float, date | None]],
    unit: str = "",
    dots: frozenset[str] = frozenset(),
) -> str:
    """One polyline per series over a date axis (the series named in `dots` as points only:
    figures from separate documents); each reference a dashed horizontal line with its label,
    and a ring at its deadline when it has one."""
    points = [p for values in series.values() for p in values]
    if not points:
        return (
            f'<figure id="{chart_id}" class="chart"><figcaption>{_e(title)}</figcaption>'
            '<p class="nodata">Pas encore de données (no data yet).</p></figure>'
        )
    days = [d for d, _ in points] + [d for _, _, d in references if d is not None]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    step = nice_step(max([v for _, v in points] + [v for _, v, _ in references]) * 1.05)
    n_ticks = math.ceil(max([v for _, v in points] + [v for _, v, _ in references]) * 1.05 / step)
    high = step * max(n_ticks, 1)
    width, left, right, top = 560, 56, 20, 14
    legend_rows = (len(series) + 1) // 2
    bottom = 34 + 16 * legend_rows
    height = 250 + bottom

    def x(day: date) -> float:
        return left + (width - left - right) * (day - first).days / span

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / high)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(title)}" width="100%">'
    ]
    for k in range(max(n_ticks, 1) + 1):
        v = step * k
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#e5e5e5"/><text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{_e(_fmt(v))}</text>'
        )
    for year in range(first.year + (first.month > 1 or first.day > 1), last.year + 1):
        tick = date(year, 1, 1)
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{height - bottom}" '
            f'stroke="#f0f0f0"/><text x="{x(tick):.1f}" y="{height - bottom + 15}" '
            f'font-size="11" text-anchor="middle">{year}</text>'
        )
    for label, value, deadline in references:
        parts.append(
            f'<g class="reference"><line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="{REFERENCE_COLOUR}" stroke-dasharray="5 4"/>'
            f'<text x="{width - right - 2}" y="{y(value) - 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="{REFERENCE_COLOUR}" stroke="#fff" stroke-width="3" '
            f'paint-order="stroke">{_e(label)}</text>'
        )
        if deadline is not None:
            parts.append(
                f'<circle cx="{x(deadline):.1f}" cy="{y(value):.1f}" r="3.5" fill="none" '
                f'stroke="{REFERENCE_COLOUR}"><title>{_e(label)} — échéance {deadline}</title>'
                "</circle>"
            )
        parts.append("</g>")
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        ordered = sorted(values)
        coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in ordered)
        if name not in dots:
            parts.append(
                f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{coords}"><title>{_e(name)}</title></polyline>'
            )
        for d, v in ordered:
            parts.append(
                f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="{4 if name in dots else 2.5}" '
                f'fill="{colour}"><title>{_e(name)} — {d} : {_e(_fmt(v))}{_e(unit)}</title>'
                "</circle>"
            )
        row, column = divmod(n, 2)
        lx, ly = left + 250 * column, height - bottom + 30 + 16 * row
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly}" font-size="11">{_e(name)}</text>'
        )
    parts.append("</svg>")
    return (
        f'<figure id="{chart_id}" class="chart"><figcaption>{_e(title)}</figcaption>'
        f"{''.join(parts)}</figure>"
    )


def sparkline(
    series: dict[str, list[tuple[date, float]]], target: float | None, label: str = ""
) -> str:
    """A small trend line (one per source) with the target as a dashed line; empty string when
    nothing was measured."""
    points = [p for values in series.values() for p in values]
    if not points:
        return ""
    width, height, pad = 140, 36, 4
    days = [d for d, _ in points]
    first, span = min(days), max((max(days) - min(days)).days, 1)
    values = [v for _, v in points] + ([target] if target is not None else [])
    low, high = min(0.0, min(values)), max(values) or 1.0
    high = high if high > low else low + 1

    def x(day: date) -> float:
        if len(set(days)) == 1:
            return width / 2
        return pad + (width - 2 * pad) * (day - first).days / span

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (1 - (value - low) / (high - low))

    parts = [
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" aria-label="{_e(label)}">'
    ]
    if target is not None:
        parts.append(
            f'<line x1="0" x2="{width}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
            f'stroke="{REFERENCE_COLOUR}" stroke-dasharray="3 3"><title>objectif : '
            f"{_e(_fmt(target))}</title></line>"
        )
    for n, (name, values_) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        ordered = sorted(values_)
        if len(ordered) > 1:
            coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in ordered)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}"/>'
            )
        d, v = ordered[-1]
        parts.append(
            f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
            f"<title>{_e(name)} — {d} : {_e(_fmt(v))}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)

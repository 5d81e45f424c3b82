"""Small inline SVG charts for the offline report: no scripts, no fonts, no external references.

Each function returns one `<svg>` element as text, sized by its viewBox so it scales
with the page. Values may be None (no data): lines and bands break there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TypeVar

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
GRID, AXIS, TEXT, MUTED = "#e3e3e3", "#888888", "#222222", "#666666"

Format = Callable[[float], str]
Legend = list[tuple[str, str, str]]  # (name, colour, shape: line|box|band)
T = TypeVar("T")


@dataclass(frozen=True)
class Series:
    """One named line or bar series; `low`/`high` draw a band around a line."""

    name: str
    values: Sequence[float | None]
    color: str = PALETTE[0]
    low: Sequence[float | None] | None = None
    high: Sequence[float | None] | None = None


def _trim(number: float, decimals: int) -> str:
    text = f"{number:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: float) -> str:
    """Euros, short: €4.19M, €350k, €12.5, −€1.2M."""
    sign = "−" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        return f"{sign}€{_trim(v / 1e6, 2)}M"
    if v >= 1e3:
        return f"{sign}€{_trim(v / 1e3, 1)}k"
    return f"{sign}€{_trim(v, 3 if v < 1 else 2)}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def nice_ticks(low: float, high: float, target: int = 6) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 × 10^k."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(target - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9)
    ticks = [first * step]
    while ticks[-1] < high - step * 1e-9:
        ticks.append((first + len(ticks)) * step)
    return [round(t, 10) for t in ticks]


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _segments(points: Sequence[T | None]) -> list[list[T]]:
    """Runs of consecutive points without a gap (a None)."""
    runs: list[list[T]] = [[]]
    for point in points:
        if point is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(point)
    return [r for r in runs if r]


class _Frame:
    """Plot area, scales and axes shared by the charts."""

    def __init__(
        self,
        *,
        width: int,
        height: int,
        n: int,
        y_values: list[float],
        fmt: Format,
        left: int = 62,
        legend_rows: int = 0,
        title: str = "",
    ) -> None:
        self.width, self.height, self.n, self.fmt = width, height, n, fmt
        self.left, self.right = left, 12
        self.top = 30 if title else 12
        self.bottom = 28 + 18 * legend_rows
        self.title = title
        low = min([0.0, *y_values])
        high = max([0.0, *y_values])
        self.ticks = nice_ticks(low, high)
        self.y_min, self.y_max = self.ticks[0], self.ticks[-1]

    @classmethod
    def with_legend(
        cls,
        labels: Sequence[str],
        y_values: list[float],
        items: Legend,
        *,
        width: int,
        height: int,
        fmt: Format,
        title: str,
    ) -> _Frame:
        """A frame over `labels`, made taller by the rows its legend `items` wrap into."""
        rows = _legend_rows(items, width)
        return cls(
            width=width,
            height=height + 18 * rows,
            n=len(labels),
            y_values=y_values,
            fmt=fmt,
            legend_rows=rows,
            title=title,
        )

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def x(self, i: int) -> float:
        return self.left + (i + 0.5) * self.plot_w / self.n

    def y(self, value: float) -> float:
        span = (self.y_max - self.y_min) or 1.0
        return self.top + (self.y_max - value) / span * self.plot_h

    def open(self, label: str) -> list[str]:
        parts = [
            f'<svg viewBox="0 0 {self.width} {self.height}" role="img" aria-label="{escape(label)}" '
            f'font-family="system-ui, sans-serif" font-size="11">',
            f"<title>{escape(label)}</title>",
        ]
        if self.title:
            parts.append(
                f'<text x="{self.left}" y="16" font-size="13" font-weight="600" fill="{TEXT}">'
                f"{escape(self.title)}</text>"
            )
        for tick in self.ticks:
            y = self.y(tick)
            color = AXIS if tick == 0 else GRID
            parts.append(
                f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{color}" stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
                f"{escape(self.fmt(tick))}</text>"
            )
        return parts

    def x_labels(self, labels: Sequence[str]) -> list[str]:
        every = max(1, math.ceil(len(labels) / max(1, int(self.plot_w // 56))))
        y = self.top + self.plot_h + 15
        return [
            f'<text x="{self.x(i):.1f}" y="{y:.1f}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(label)}</text>"
            for i, label in enumerate(labels)
            if i % every == 0
        ]

    def close(self, parts: list[str], labels: Sequence[str], items: Legend) -> str:
        """The whole `<svg>`: `parts`, then the x labels and the legend."""
        return "\n".join([*parts, *self.x_labels(labels), *self.legend(items), "</svg>"])

    def line(self, labels: Sequence[str], s: Series, *, radius: float) -> list[str]:
        """`s` as a line broken at gaps, a dot with a tooltip at each value (and its range, if any)."""
        points = [(self.x(i), self.y(float(v))) if v is not None else None for i, v in enumerate(s.values)]
        parts = [
            f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" fill="none" '
            f'stroke="{s.color}" stroke-width="2.2"/>'
            for run in _segments(points)
            if len(run) > 1
        ]
        for i, v in enumerate(s.values):
            if v is None:
                continue
            tip = f"{s.name}, {labels[i]}: {self.fmt(float(v))}"
            low, high = (s.low[i], s.high[i]) if s.low is not None and s.high is not None else (None, None)
            if low is not None and high is not None:
                tip += f" (range {self.fmt(float(low))} – {self.fmt(float(high))})"
            parts.append(
                f'<circle cx="{self.x(i):.1f}" cy="{self.y(float(v)):.1f}" r="{radius}" fill="{s.color}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        return parts

    def legend(self, items: Sequence[tuple[str, str, str]]) -> list[str]:
        """Items of (name, colour, shape: line|box|band), laid out left to right, wrapping."""
        parts, x = [], float(self.left)
        y = self.top + self.plot_h + 34
        for name, color, shape in items:
            w = 22 + 6.2 * len(name)
            if x + w > self.width - self.right and x > self.left:
                x, y = float(self.left), y + 18
            if shape == "line":
                parts.append(
                    f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" '
                    f'stroke="{color}" stroke-width="2.5"/>'
                )
            else:
                opacity = ' fill-opacity="0.25"' if shape == "band" else ""
                parts.append(
                    f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="10" fill="{color}"{opacity}/>'
                )
            parts.append(f'<text x="{x + 18:.1f}" y="{y:.1f}" fill="{TEXT}">{escape(name)}</text>')
            x += w
        return parts


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str = "",
    fmt: Format = money,
    width: int = 420,
    height: int = 230,
    legend: bool = True,
    band_label: str = "",
) -> str:
    """Lines over the x labels, each with an optional shaded band (its low/high range)."""
    y_values = [v for s in series for vals in (s.values, s.low or [], s.high or []) for v in _finite(vals)]
    items = [(s.name, s.color, "line") for s in series] if legend and len(series) > 1 else []
    banded = [s for s in series if s.low is not None]
    if band_label and banded:
        items.append((band_label, banded[0].color, "band"))
    frame = _Frame.with_legend(labels, y_values, items, width=width, height=height, fmt=fmt, title=title)
    parts = frame.open(title or ", ".join(s.name for s in series))
    for s in series:
        if s.low is None or s.high is None:
            continue
        pairs = [
            (frame.x(i), frame.y(lo), frame.y(hi)) if lo is not None and hi is not None else None
            for i, (lo, hi) in enumerate(zip(s.low, s.high, strict=True))
        ]
        for run in _segments(pairs):
            outline = [(x, hi) for x, _, hi in run] + [(x, lo) for x, lo, _ in reversed(run)]
            if len(run) == 1:
                x, lo, hi = run[0]
                outline = [(x - 4, hi), (x + 4, hi), (x + 4, lo), (x - 4, lo)]
            polygon = " ".join(f"{x:.1f},{y:.1f}" for x, y in outline)
            parts.append(f'<polygon points="{polygon}" fill="{s.color}" fill-opacity="0.18" stroke="none"/>')
    for s in series:
        parts += frame.line(labels, s, radius=2.8)
    return frame.close(parts, labels, items)


def _legend_rows(items: Sequence[tuple[str, str, str]], width: int, left: int = 62) -> int:
    if not items:
        return 0
    rows, x = 1, float(left)
    for name, _, _ in items:
        w = 22 + 6.2 * len(name)
        if x + w > width - 12 and x > left:
            rows, x = rows + 1, float(left)
        x += w
    return rows


def bar_chart(
    labels: Sequence[str],
    bars: Sequence[Series],
    *,
    line: Series | None = None,
    title: str = "",
    fmt: Format = money,
    width: int = 860,
    height: int = 260,
) -> str:
    """Grouped vertical bars per x label (negative values go below zero), and an optional line."""
    y_values = [v for s in bars for v in _finite(s.values)]
    if line is not None:
        y_values += _finite(line.values)
    items = [(s.name, s.color, "box") for s in bars] + ([(line.name, line.color, "line")] if line else [])
    frame = _Frame.with_legend(labels, y_values, items, width=width, height=height, fmt=fmt, title=title)
    parts = frame.open(title or ", ".join(s.name for s in bars))
    slot = frame.plot_w / max(frame.n, 1)
    bar_w = min(28.0, slot * 0.8 / max(len(bars), 1))
    zero = frame.y(0.0)
    for k, s in enumerate(bars):
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x = frame.x(i) - bar_w * len(bars) / 2 + k * bar_w
            y = frame.y(float(v))
            top, h = min(y, zero), abs(zero - y)
            tip = f"{s.name}, {labels[i]}: {fmt(float(v))}"
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_w - 1:.1f}" height="{max(h, 0.5):.1f}" '
                f'fill="{s.color}"><title>{escape(tip)}</title></rect>'
            )
    if line is not None:
        parts += frame.line(labels, line, radius=3)
    return frame.close(parts, labels, items)


def hbar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str = "",
    fmt: Format = money,
    width: int = 860,
    color: str = PALETTE[0],
) -> str:
    """Horizontal bars, one per label, largest first as given; the value written at the bar's end."""
    bar_h, gap, left = 18, 6, 230
    top = 30 if title else 8
    height = top + len(values) * (bar_h + gap) + 8
    high = max([0.0, *values]) or 1.0
    plot_w = width - left - 90
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or "bars")}" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title or 'bars')}</title>",
    ]
    if title:
        parts.append(
            f'<text x="8" y="16" font-size="13" font-weight="600" fill="{TEXT}">{escape(title)}</text>'
        )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_h + gap)
        w = max(plot_w * value / high, 0.5)
        parts.append(
            f'<text x="{left - 8}" y="{y + 13}" text-anchor="end" fill="{TEXT}">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 13}" fill="{TEXT}">{escape(fmt(value))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)

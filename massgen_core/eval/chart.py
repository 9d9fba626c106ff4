"""The eval's chart: accuracy (with its 95 % interval) against cost per question for each arm,
as one self-contained HTML file (inline SVG, no script, nothing fetched). When no arm's cost is
known (unpriced models), tokens per question are the x axis instead."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from .report import report_table

__all__ = ["chart_html"]

_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 640, 400, 70, 30, 30, 60
_COLOURS = {"team": "#c0392b", "majority": "#2874a6"}


def _x_axis(arms: list[Mapping[str, Any]]) -> tuple[str, str]:
    if any(a["cost_per_question"] is not None for a in arms):
        return "cost_per_question", "cost per question (USD)"
    return "tokens_per_question", "tokens per question"


def _svg(report: Mapping[str, Any]) -> str:
    arms = [a for a in report["arms"] if a["accuracy"] is not None]
    key, title = _x_axis(arms)
    xs = [float(a[key]) for a in arms if a[key] is not None]
    top = max(xs, default=1.0) * 1.15 or 1.0
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(value: float) -> float:
        return _LEFT + plot_w * value / top

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'role="img" aria-label="accuracy against cost per arm" font-family="sans-serif" font-size="12">',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    for tick in range(0, 11, 2):
        value = tick / 10
        parts.append(
            f'<line x1="{_LEFT - 4}" y1="{y(value):.1f}" x2="{_LEFT}" y2="{y(value):.1f}" stroke="#999"/>'
        )
        parts.append(f'<text x="{_LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{tick * 10}%</text>')
    for tick in range(5):
        value = top * tick / 4
        label = f"{value:.2g}" if key == "cost_per_question" else f"{value:.0f}"
        parts.append(f'<text x="{x(value):.1f}" y="{_TOP + plot_h + 18}" text-anchor="middle">{label}</text>')
    parts.append(f'<text x="{_LEFT + plot_w / 2}" y="{_H - 15}" text-anchor="middle">{escape(title)}</text>')
    parts.append(
        f'<text x="18" y="{_TOP + plot_h / 2}" text-anchor="middle" transform="rotate(-90 18 {_TOP + plot_h / 2})">accuracy (95% interval)</text>'
    )
    for arm in arms:
        if arm[key] is None:
            continue
        cx = x(float(arm[key]))
        low, high = arm["ci95"]
        colour = _COLOURS.get(arm["arm"], "#555")
        parts.append(
            f'<line x1="{cx:.1f}" y1="{y(low):.1f}" x2="{cx:.1f}" y2="{y(high):.1f}" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{y(arm["accuracy"]):.1f}" r="5" fill="{colour}">'
            f"<title>{escape(arm['arm'])}: {100 * arm['accuracy']:.1f}%</title></circle>"
        )
        parts.append(
            f'<text x="{cx + 8:.1f}" y="{y(arm["accuracy"]) - 6:.1f}" fill="{colour}">{escape(arm["arm"])}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def chart_html(report: Mapping[str, Any]) -> str:
    """The whole HTML page: the chart and the table."""
    name = escape(str(report.get("dataset") or "eval"))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>massgen eval: {name}</title>'
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}</style></head>\n"
        f"<body><h1>massgen eval: {name}</h1>\n"
        f"<p>{report['questions']} questions; config {escape(str(report.get('config') or ''))}</p>\n"
        f"{_svg(report)}\n<pre>{escape(report_table(report))}</pre>\n</body></html>\n"
    )

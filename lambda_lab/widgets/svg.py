"""A small deterministic SVG writer for scenes: the picture a saved notebook keeps.

It draws exactly the marks of a scene (:mod:`.scene`), with the title, the
aggregation note and the key numbers around them, as one ``<svg>`` string.
The same scene always gives the same bytes (fixed number formatting, no
generated ids), so nbval can compare it and a notebook read without a
kernel — on GitHub, nbviewer or an HTML export — shows what the live view
showed.  Colours come from CSS variables with Okabe-Ito fallbacks, so the
picture follows JupyterLab's light or dark theme where there is one.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any

from .logs import LINE, static_marks

__all__ = ["STYLE", "scene_svg", "stack_svg", "symbol_path"]

TITLE = 22
NOTE = 16
SUMMARY_ROW = 16
SUMMARY_PER_ROW = 6
STROKED = {"asterisk", "plus", "times"}

#: Colours per class: Okabe-Ito, behind JupyterLab's variables where they exist.
STYLE = """
.ll-svg{font:12px var(--jp-ui-font-family,sans-serif);fill:var(--jp-ui-font-color1,#222)}
.ll-svg .ll-title{font-weight:600;font-size:13px}
.ll-svg .ll-note,.ll-svg .ll-muted{fill:var(--jp-ui-font-color2,#666);font-size:11px}
.ll-svg .ll-success{fill:#009E73;stroke:#009E73}
.ll-svg .ll-error{fill:#D55E00;stroke:#D55E00}
.ll-svg .ll-timeout{fill:#CC79A7;stroke:#CC79A7}
.ll-svg .ll-throttle{fill:#E69F00;stroke:#E69F00}
.ll-svg .ll-retry{fill:#0072B2;stroke:#0072B2}
.ll-svg .ll-duplicate{fill:#56B4E9;stroke:#56B4E9}
.ll-svg .ll-dropped{fill:var(--jp-ui-font-color0,#000);stroke:var(--jp-ui-font-color0,#000)}
.ll-svg .ll-redriven{fill:#F0E442;stroke:#7a6f00}
.ll-svg .ll-filtered{fill:#999999;stroke:#999999}
.ll-svg .ll-init{fill:#56B4E9;opacity:.55}
.ll-svg .ll-stroked{fill:none;stroke-width:1.6}
.ll-svg line.ll-retry{fill:none;stroke-width:1.2;stroke-dasharray:3 2}
.ll-svg .ll-actor{fill:var(--jp-layout-color2,#eee);stroke:var(--jp-border-color1,#999)}
.ll-svg .ll-actor-label,.ll-svg .ll-text{fill:var(--jp-ui-font-color1,#222)}
.ll-svg .ll-bar-label{fill:#fff;font-size:10px}
.ll-svg .ll-grid{stroke:var(--jp-border-color2,#ddd);stroke-width:.6}
.ll-svg .ll-gap{fill:none;stroke:var(--jp-ui-font-color2,#888);stroke-width:1}
.ll-svg .ll-axis{stroke:var(--jp-ui-font-color2,#666);fill:none}
.ll-svg .ll-axis-label{fill:var(--jp-ui-font-color2,#666);font-size:10px}
.ll-svg .ll-link{stroke:var(--jp-border-color1,#999);fill:none}
.ll-svg .ll-log-start,.ll-svg .ll-log-end{fill:var(--jp-ui-font-color2,#666)}
.ll-svg .ll-log-report{fill:#0072B2}
.ll-svg .ll-log-error{fill:#D55E00}
.ll-svg [class^="ll-log-"]{font:11px var(--jp-code-font-family,monospace)}
.ll-svg .ll-series-0{stroke:#0072B2;fill:none;stroke-width:1.5}
.ll-svg .ll-series-1{stroke:#D55E00;fill:none;stroke-width:1.5}
.ll-svg .ll-series-2{stroke:#009E73;fill:none;stroke-width:1.5}
.ll-svg .ll-series-3{stroke:#CC79A7;fill:none;stroke-width:1.5}
.ll-svg .ll-series-4{stroke:#E69F00;fill:none;stroke-width:1.5}
.ll-svg .ll-series-5{stroke:#56B4E9;fill:none;stroke-width:1.5}
""".strip()


def _with_plain_fallbacks(css: str) -> str:
    """Before each ``prop:var(--x,#fallback)``, the plain ``prop:#fallback``.

    Renderers without CSS variables (some SVG-to-image converters) drop the
    declaration they cannot read and keep the plain one.
    """
    return re.sub(
        r"([a-z-]+):var\(--[a-z0-9-]+,([^)]+)\)",
        lambda m: f"{m.group(1)}:{m.group(2)};{m.group(0)}",
        css,
    )


STYLE = _with_plain_fallbacks(STYLE)


def _n(value: float) -> str:
    """A coordinate, written the same way every time (at most 2 decimals)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def symbol_path(shape: str, size: float) -> str:
    """The path of d3-shape's symbol ``shape`` of area ``size``, centred on 0,0."""
    if shape == "circle":
        r = math.sqrt(size / math.pi)
        return f"M{_n(r)},0A{_n(r)},{_n(r)},0,1,1,{_n(-r)},0A{_n(r)},{_n(r)},0,1,1,{_n(r)},0Z"
    if shape == "square":
        w = math.sqrt(size)
        x = -w / 2
        return f"M{_n(x)},{_n(x)}h{_n(w)}v{_n(w)}h{_n(-w)}Z"
    if shape == "diamond":
        tan30 = math.sqrt(1 / 3)
        y = math.sqrt(size / (tan30 * 2))
        x = y * tan30
        return f"M0,{_n(-y)}L{_n(x)},0L0,{_n(y)}L{_n(-x)},0Z"
    if shape == "triangle":
        y = -math.sqrt(size / (math.sqrt(3) * 3))
        x = math.sqrt(3) * y
        return f"M0,{_n(2 * y)}L{_n(-x)},{_n(-y)}L{_n(x)},{_n(-y)}Z"
    if shape == "cross":
        r = math.sqrt(size / 5) / 2
        pts = [(-3 * r, -r), (-r, -r), (-r, -3 * r), (r, -3 * r), (r, -r), (3 * r, -r),
               (3 * r, r), (r, r), (r, 3 * r), (-r, 3 * r), (-r, r), (-3 * r, r)]  # fmt: skip
        return _poly(pts)
    if shape == "star":
        kr = math.sin(math.pi / 10) / math.sin(7 * math.pi / 10)
        kx, ky = math.sin(2 * math.pi / 10) * kr, -math.cos(2 * math.pi / 10) * kr
        r = math.sqrt(size * 0.8908130915292852)
        x, y = kx * r, ky * r
        pts = [(0, -r), (x, y)]
        for i in range(1, 5):
            a = 2 * math.pi * i / 5
            c, s = math.cos(a), math.sin(a)
            pts += [(s * r, -c * r), (c * x - s * y, s * x + c * y)]
        return _poly(pts)
    if shape == "wye":
        c, s, k = -0.5, math.sqrt(3) / 2, 1 / math.sqrt(12)
        r = math.sqrt(size / ((k / 2 + 1) * 3))
        x0, y0 = r / 2, r * k
        x1, y1 = x0, r * k + r
        x2, y2 = -x1, y1
        base = [(x0, y0), (x1, y1), (x2, y2)]
        pts = list(base)
        pts += [(c * x - s * y, s * x + c * y) for x, y in base]
        pts += [(c * x + s * y, c * y - s * x) for x, y in base]
        return _poly(pts)
    if shape == "asterisk":
        r = math.sqrt(size + min(size / 28, 0.75)) * 0.59436
        t, u = r / 2, r / 2 * math.sqrt(3)
        return (
            f"M0,{_n(r)}L0,{_n(-r)}M{_n(-u)},{_n(-t)}L{_n(u)},{_n(t)}"
            f"M{_n(-u)},{_n(t)}L{_n(u)},{_n(-t)}"
        )
    if shape == "plus":
        r = math.sqrt(size - min(size / 7, 2)) * 0.87559
        return f"M{_n(-r)},0L{_n(r)},0M0,{_n(r)}L0,{_n(-r)}"
    if shape == "times":
        r = math.sqrt(size - min(size / 7, 2)) * 0.6189
        return f"M{_n(-r)},{_n(-r)}L{_n(r)},{_n(r)}M{_n(-r)},{_n(r)}L{_n(r)},{_n(-r)}"
    raise ValueError(f"shape must be one of d3's symbols, got {shape!r}")


def _poly(points: list[tuple[float, float]]) -> str:
    first, *rest = points
    return f"M{_n(first[0])},{_n(first[1])}" + "".join(f"L{_n(x)},{_n(y)}" for x, y in rest) + "Z"


def _attrs(mark: dict[str, Any], extra: str = "") -> str:
    cls = f"ll-{mark['cls']}" + (f" {extra}" if extra else "")
    return f'class="{cls}"'


def _title(mark: dict[str, Any]) -> str:
    label = mark.get("label")
    return f"<title>{escape(label)}</title>" if label else ""


def _mark(mark: dict[str, Any]) -> str:
    kind = mark["type"]
    if kind == "rect":
        body = (
            f'<rect {_attrs(mark)} x="{_n(mark["x"])}" y="{_n(mark["y"])}" '
            f'width="{_n(mark["w"])}" height="{_n(mark["h"])}"'
        )
    elif kind == "line":
        arrow = ' marker-end="url(#ll-arrow)"' if mark.get("arrow") else ""
        body = (
            f'<line {_attrs(mark)} x1="{_n(mark["x1"])}" y1="{_n(mark["y1"])}" '
            f'x2="{_n(mark["x2"])}" y2="{_n(mark["y2"])}"{arrow}'
        )
    elif kind == "path":
        body = f'<path {_attrs(mark)} d="{escape(mark["d"])}"'
    elif kind == "symbol":
        extra = "ll-stroked" if mark["shape"] in STROKED else ""
        body = (
            f'<path {_attrs(mark, extra)} transform="translate({_n(mark["x"])},{_n(mark["y"])})" '
            f'd="{symbol_path(mark["shape"], mark["size"])}"'
        )
    elif kind == "text":
        anchor = mark.get("anchor", "start")
        return (
            f'<text {_attrs(mark)} x="{_n(mark["x"])}" y="{_n(mark["y"])}" '
            f'text-anchor="{anchor}">{escape(mark["text"])}</text>'
        )
    elif kind == "axis":
        return _axis(mark)
    else:
        raise ValueError(f"mark type must be rect, line, path, symbol, text or axis, got {kind!r}")
    title = _title(mark)
    return f"{body}>{title}</{body[1 : body.index(' ')]}>" if title else f"{body}/>"


def _axis(mark: dict[str, Any]) -> str:
    (d0, d1), (r0, r1) = mark["domain"], mark["range"]
    span = (d1 - d0) or 1.0

    def at(v: float) -> float:
        return r0 + (v - d0) / span * (r1 - r0)

    y, x = mark["y"], mark["x"]
    parts = [f'<g class="ll-axis-group" transform="translate({_n(x)},{_n(y)})">']
    if mark["orient"] == "bottom":
        parts.append(f'<path class="ll-axis" d="M{_n(r0)},6V0H{_n(r1)}V6"/>')
        for tick, label in zip(mark["ticks"], mark["labels"], strict=True):
            px = at(tick)
            parts.append(f'<line class="ll-axis" x1="{_n(px)}" x2="{_n(px)}" y2="6"/>')
            parts.append(
                f'<text class="ll-axis-label" x="{_n(px)}" y="18" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    else:
        parts.append(f'<path class="ll-axis" d="M-6,{_n(r0)}H0V{_n(r1)}H-6"/>')
        for tick, label in zip(mark["ticks"], mark["labels"], strict=True):
            py = at(tick)
            parts.append(f'<line class="ll-axis" y1="{_n(py)}" y2="{_n(py)}" x2="-6"/>')
            parts.append(
                f'<text class="ll-axis-label" x="-9" y="{_n(py + 3)}" '
                f'text-anchor="end">{escape(label)}</text>'
            )
    parts.append("</g>")
    return "".join(parts)


def _body(scene: dict[str, Any]) -> tuple[list[str], float]:
    """The scene's elements, translated below its title and note; and the total height."""
    parts = [f'<text class="ll-title" x="4" y="15">{escape(scene.get("title", ""))}</text>']
    top = TITLE
    if scene.get("note"):
        parts.append(f'<text class="ll-note" x="4" y="{top + 11}">{escape(scene["note"])}</text>')
        top += NOTE
    parts.append(f'<g transform="translate(0,{top})">')
    marks = scene.get("marks", [])
    height = scene["height"]
    if scene.get("view") == "logs":
        marks = static_marks(scene)
        height = 8 + len(marks) * LINE
    parts.extend(_mark(mark) for mark in marks)
    parts.extend(_tokens(scene))
    parts.append("</g>")
    bottom = top + height
    summary = scene.get("summary") or []
    for i in range(0, len(summary), SUMMARY_PER_ROW):
        row = summary[i : i + SUMMARY_PER_ROW]
        text = "   ".join(f"{label}: {_value(value)}" for label, value in row)
        parts.append(f'<text class="ll-text" x="4" y="{bottom + 12}">{escape(text)}</text>')
        bottom += SUMMARY_ROW
    return parts, bottom + 4


def _tokens(scene: dict[str, Any]) -> list[str]:
    """Flow tokens, at rest: each at the last point of its path."""
    out = []
    for token in scene.get("tokens", []):
        x, y = token["path"][-1]
        out.append(
            _mark({"type": "symbol", "cls": token["cls"], "x": x, "y": y,
                   "shape": token["shape"], "size": token.get("size", 40),
                   "label": token.get("label")})
        )  # fmt: skip
    return out


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


_DEFS = (
    '<defs><marker id="ll-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L8,4L0,8Z" '
    'fill="context-stroke"/></marker></defs>'
)


def scene_svg(scene: dict[str, Any]) -> str:
    """The whole scene as one deterministic ``<svg>`` document."""
    parts, height = _body(scene)
    return _wrap(scene["width"], height, scene.get("title", ""), parts)


def stack_svg(scenes: list[dict[str, Any]], title: str = "") -> str:
    """Several scenes one under another, as one ``<svg>`` (a lab's static picture)."""
    parts: list[str] = []
    y = 0.0
    width = max((s["width"] for s in scenes), default=100)
    for scene in scenes:
        body, height = _body(scene)
        parts.append(f'<g transform="translate(0,{_n(y)})">')
        parts.extend(body)
        parts.append("</g>")
        y += height + 8
    return _wrap(width, y, title or " / ".join(s.get("title", "") for s in scenes), parts)


def _wrap(width: float, height: float, label: str, parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ll-svg" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        f'aria-label="{escape(label)}"><style>{STYLE}</style>{_DEFS}' + "".join(parts) + "</svg>"
    )

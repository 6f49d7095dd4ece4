"""The scene: what a view draws, laid out in Python, drawn by JS and by :mod:`.svg`.

A *scene* is a plain JSON-able dict.  Python does all of the layout (every
position is in pixels of the scene's ``width`` x ``height`` box), so the two
renderers — the anywidget ES module in ``static/views.js`` and the static
SVG writer :mod:`.svg` — draw the same picture and differ only in
interaction.  The JS side never reads the trace and computes no layout of
its own.

Top level::

    {
      "view": "timeline" | "flow" | "metrics" | "logs",
      "width": 720, "height": 240,            # pixels
      "title": "Attempts per execution environment",
      "note": "1,204 attempts aggregated into 300 bins" | "",   # what was aggregated
      "marks": [MARK, ...],                    # drawn in order (later on top)
      "records": [RECORD, ...],                # JSON shown when a mark is selected
      "tokens": [TOKEN, ...],                  # flow only: what moves, see below
      "t_range": [t0, t1],                     # flow only: virtual seconds the tokens span
      "lines": [LINE, ...],                    # logs only, see below
      "summary": [[label, value], ...],        # key numbers, drawn as a table under the picture
    }

Marks (every mark has ``type`` and ``cls``; optional ``label`` is its
accessible name / tooltip, optional ``record`` an index into ``records``):

* ``{"type": "rect", "x", "y", "w", "h"}``
* ``{"type": "line", "x1", "y1", "x2", "y2", "arrow": bool}`` — ``arrow``
  puts an arrow head at ``(x2, y2)``.
* ``{"type": "path", "d"}`` — an SVG path string (series lines, idle-gap
  zig-zags).
* ``{"type": "symbol", "x", "y", "shape", "size"}`` — ``shape`` is one of
  d3-shape's symbols: ``circle``, ``cross``, ``diamond``, ``square``,
  ``star``, ``triangle``, ``wye`` (filled) and ``asterisk``, ``plus``,
  ``times`` (stroked); ``size`` is the area in px², as d3's.
* ``{"type": "text", "x", "y", "text", "anchor": "start"|"middle"|"end"}``
* ``{"type": "axis", "orient": "bottom"|"left", "x", "y", "domain": [a, b],
  "range": [a, b], "ticks": [v, ...], "labels": [str, ...]}`` — a linear
  axis translated to ``(x, y)``; JS draws it with d3-axis over a d3-scale
  ``scaleLinear().domain(domain).range(range)`` with ``tickValues(ticks)``
  and the given labels; the SVG writer draws the same ticks.

``cls`` names what a mark means, and each class has its colour (Okabe-Ito,
colour-blind safe), and outcome classes also their own symbol shape and a
label, so no meaning rests on colour alone (see :data:`OUTCOMES`).  Classes:
the outcomes below, plus ``actor``, ``actor-label``, ``axis``, ``grid``,
``text``, ``muted``, ``series-0`` ... ``series-5``, ``gap`` (a compressed
idle stretch) and ``selected``.

Tokens (``flow`` only): a token is one request, event, batch or message
moving between actors::

    {"id": "t3", "cls": "retry", "shape": "triangle", "label": "retry 1 of req 5c1e",
     "record": 7, "path": [[x, y], ...], "times": [t, ...]}

``times`` (virtual seconds, one per point of ``path``, non-decreasing) say
when the token is at each point; between two points it moves in a straight
line.  Before its first time a token is hidden, after its last it stays at
its last point, faded.  Play, pause, step (to the next time any token
reaches a point), scrub and speed move a clock over ``t_range``.

Log lines (``logs`` only)::

    {"t": 1.25, "text": "REPORT RequestId: ...", "cls": "report" | "start" | "end" |
     "log" | "error", "request_id": "..."}

The filter box matches a line's ``text`` as a case-insensitive substring.
"""

from __future__ import annotations

__all__ = ["OUTCOMES", "SHAPES"]

#: Every outcome a view distinguishes: its label and its symbol shape (colour is in CSS).
OUTCOMES: dict[str, tuple[str, str]] = {
    "success": ("success", "circle"),
    "error": ("error", "cross"),
    "timeout": ("timeout", "diamond"),
    "throttle": ("throttled", "square"),
    "retry": ("retry", "triangle"),
    "duplicate": ("duplicate", "star"),
    "dropped": ("dropped", "wye"),
    "redriven": ("redriven", "asterisk"),
    "filtered": ("filtered", "times"),
    "init": ("init (cold start)", "plus"),
}

#: The symbol shapes d3-shape draws: its filled set, then the stroked ones.
SHAPES = (
    "circle", "cross", "diamond", "square", "star", "triangle", "wye",
    "asterisk", "plus", "times",
)  # fmt: skip

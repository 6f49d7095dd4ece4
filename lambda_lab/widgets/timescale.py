"""Virtual time on a page: human units, and long idle stretches compressed visibly.

An asynchronous retry waits a minute or two; the attempts around it last
milliseconds.  Drawn to scale, every attempt would be a hairline.  A
:class:`TimeScale` keeps busy stretches linear and shrinks each idle gap
longer than a threshold to a fixed width, drawn as a zig-zag labelled with
the time it stands for, so the picture says what it left out.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable

__all__ = ["TimeScale", "human_time", "nice_ticks", "time_axis"]

#: Width in pixels of one compressed idle gap.
GAP_WIDTH = 40.0


def human_time(seconds: float) -> str:
    """``250 ms``, ``1.5 s``, ``2 min``, ``1.5 h``: the unit a person would pick."""
    size = abs(seconds)
    if size == 0:
        return "0 s"
    if size < 1:
        return f"{_short(seconds * 1000)} ms"
    if size < 120:
        return f"{_short(seconds)} s"
    if size < 7200:
        return f"{_short(seconds / 60)} min"
    return f"{_short(seconds / 3600)} h"


def _short(value: float) -> str:
    text = f"{value:.3g}"
    return text if "e" not in text else f"{value:.0f}"


def time_axis(
    start: float, end: float, x0: float, x1: float, y: float, ticks: list[float] | None = None
) -> dict:
    """The scene's bottom axis mark for virtual times ``start``..``end`` drawn from
    ``x0`` to ``x1`` at height ``y``; ``ticks`` default to six round ones."""
    if ticks is None:
        ticks = nice_ticks(start, end, 6)
    return {"type": "axis", "cls": "axis", "orient": "bottom", "x": 0, "y": y,
            "domain": [start, end], "range": [x0, x1], "ticks": ticks,
            "labels": [human_time(t) for t in ticks]}  # fmt: skip


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values between ``low`` and ``high`` (1, 2 or 5 times a power of 10)."""
    if high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


class TimeScale:
    """Map virtual seconds to pixels, compressing idle gaps (see the module docstring).

    ``busy`` are ``(start, end)`` intervals that must stay readable; a gap
    between them longer than ``max_gap`` seconds (by default a tenth of the
    whole span, and at least 1 s) is compressed.
    """

    def __init__(
        self,
        busy: Iterable[tuple[float, float]],
        x0: float,
        x1: float,
        max_gap: float | None = None,
    ) -> None:
        spans = sorted((s, max(s, e)) for s, e in busy)
        if not spans:
            spans = [(0.0, 1.0)]
        merged: list[list[float]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        t0, t1 = merged[0][0], merged[-1][1]
        if t1 <= t0:
            t1 = t0 + 1.0
        if max_gap is None:
            max_gap = max(1.0, (t1 - t0) / 10)
        #: Linear pieces ``(t_start, t_end)``; between two pieces lies a compressed gap.
        pieces: list[list[float]] = [[merged[0][0], merged[0][1]]]
        #: Compressed gaps ``(t_start, t_end)``.
        self.gaps: list[tuple[float, float]] = []
        for start, end in merged[1:]:
            if start - pieces[-1][1] > max_gap:
                self.gaps.append((pieces[-1][1], start))
                pieces.append([start, end])
            else:
                pieces[-1][1] = end
        # A piece of zero length (an instant) still gets a little room.
        linear = sum(max(e - s, 0.0) for s, e in pieces)
        room = max(x1 - x0 - GAP_WIDTH * len(self.gaps), 10.0)
        pad = 0.02 * linear if linear else 1.0
        self._pieces = [(s, e + pad) for s, e in pieces]
        total = sum(e - s for s, e in self._pieces)
        self.scale = room / total
        self._starts: list[float] = []
        self._x: list[float] = []
        x = x0
        for start, end in self._pieces:
            self._starts.append(start)
            self._x.append(x)
            x += (end - start) * self.scale + GAP_WIDTH
        self.t0, self.t1 = self._pieces[0][0], self._pieces[-1][1]
        self.x0, self.x1 = x0, x1

    @property
    def pieces(self) -> list[tuple[float, float, float, float]]:
        """Each linear piece as ``(t_start, t_end, x_start, x_end)``."""
        return [
            (s, e, x, x + (e - s) * self.scale)
            for (s, e), x in zip(self._pieces, self._x, strict=True)
        ]

    def __call__(self, t: float) -> float:
        """The x of virtual time ``t`` (inside a gap: proportionally across its width)."""
        i = max(bisect_right(self._starts, t) - 1, 0)
        start, end = self._pieces[i]
        x = self._x[i]
        if t <= end:
            return round(x + (max(t, start) - start) * self.scale, 2)
        # Inside the gap after piece i.
        gap_end = self._pieces[i + 1][0] if i + 1 < len(self._pieces) else end
        share = (t - end) / (gap_end - end) if gap_end > end else 1.0
        return round(x + (end - start) * self.scale + min(share, 1.0) * GAP_WIDTH, 2)

    def gap_x(self, index: int) -> float:
        """The x where compressed gap ``index`` begins."""
        start, end = self._pieces[index]
        return round(self._x[index] + (end - start) * self.scale, 2)

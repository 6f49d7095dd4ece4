"""The views of a trace: Timeline, FlowDiagram, MetricsChart and LogView.

Each is a :class:`~.base.SceneView`: it turns a trace into a scene in
Python, the browser draws and animates it, and ``_repr_mimebundle_`` adds
the same scene as a static ``image/svg+xml`` picture, which is what a
notebook shows without a kernel and what nbval compares.  Every view takes
a :class:`~lambda_lab.Lab` (or its trace, or a list of trace records) and,
optionally, a filter: ``function``, ``request_id`` and ``window`` (a
``(start, end)`` pair of virtual seconds).  ``refresh()`` rebuilds the
scene from the source, after the lab ran on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .base import SceneView
from .flow import flow_scene
from .logs import log_scene
from .metrics import metrics_scene
from .select import records_of, select
from .svg import scene_svg
from .timeline import timeline_scene

__all__ = ["FlowDiagram", "LogView", "MetricsChart", "Timeline", "TraceView"]


class TraceView(SceneView):
    """A view of a trace, narrowed by an optional filter (see the module docstring)."""

    def __init__(
        self,
        source: Any,
        *,
        function: str | None = None,
        request_id: str | None = None,
        window: tuple[float, float] | None = None,
        title: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._source = source
        self._filter = {"function": function, "request_id": request_id, "window": window}
        self._title = title
        super().__init__(scene=self._build(), **kwargs)

    def records(self) -> list[dict[str, Any]]:
        """The trace records this view draws (after its filter)."""
        return select(records_of(self._source), **self._filter)

    def _build(self) -> dict[str, Any]:  # pragma: no cover - every view defines it
        raise NotImplementedError

    def refresh(self, source: Any = None) -> TraceView:
        """Rebuild the scene (from a new ``source`` if given), and redraw."""
        if source is not None:
            self._source = source
        self.scene = self._build()
        return self

    def to_svg(self) -> str:
        """The static picture: the scene as a deterministic SVG document."""
        return scene_svg(self.scene)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        data = {**data, "image/svg+xml": self.to_svg()}
        return data, metadata

    def __repr__(self) -> str:
        scene = self.scene
        counts = ", ".join(f"{label} {value}" for label, value in scene.get("summary", [])[:4])
        return f"<{type(self).__name__}: {counts}>" if counts else f"<{type(self).__name__}>"


class Timeline(TraceView):
    """Attempts per execution environment over virtual time, Gantt style.

    Init segments for cold starts, errors and timeouts, throttles, arrows from
    a failed attempt to its retry (with the delay), batch sizes for mappings;
    the axis in human units, long idle stretches compressed.
    """

    def _build(self) -> dict[str, Any]:
        return timeline_scene(self.records(), self._title)


class FlowDiagram(TraceView):
    """The actors of a scenario and tokens that follow the trace between them.

    Play, pause, step, scrub and speed controls move the tokens; selecting a
    token shows its trace record.
    """

    def _build(self) -> dict[str, Any]:
        return flow_scene(self.records(), self._title)


class MetricsChart(TraceView):
    """Series over virtual time (concurrency, queue depth, iterator age, a balance...).

    ``series`` names built-in series (:data:`~.metrics.BUILT_IN`); ``extra``
    adds others as ``{name: [(t, value), ...]}``.
    """

    def __init__(
        self,
        source: Any,
        series: Iterable[str] = ("concurrency",),
        extra: Mapping[str, list[tuple[float, float]]] | None = None,
        **kwargs: Any,
    ) -> None:
        self._series = tuple(series)
        self._extra = dict(extra or {})
        super().__init__(source, **kwargs)

    def refresh(
        self, source: Any = None, extra: Mapping[str, list[tuple[float, float]]] | None = None
    ) -> MetricsChart:
        """Rebuild from a new ``source`` and, if given, new ``extra`` series."""
        if extra is not None:
            self._extra = dict(extra)
        super().refresh(source)
        return self

    def _build(self) -> dict[str, Any]:
        end = getattr(self._source, "now", None)
        return metrics_scene(self.records(), self._series, self._extra, self._title, end)


class LogView(TraceView):
    """A function's CloudWatch log lines, with each REPORT line's figures and a filter box.

    ``source`` must be a :class:`~lambda_lab.Lab` (the log lines come from
    ``lab.logs``); ``filter_pattern`` is CloudWatch's, as ``lab.logs`` takes it.
    """

    def __init__(
        self,
        lab: Any,
        function_name: str,
        filter_pattern: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not hasattr(lab, "logs"):
            raise TypeError(f"LogView needs a Lab (its logs), got {type(lab).__name__}")
        self._function_name = function_name
        self._pattern = filter_pattern
        super().__init__(lab, function=function_name, **kwargs)

    def _build(self) -> dict[str, Any]:
        lab = self._source
        events = lab.logs(self._function_name, filter_pattern=self._pattern)
        window = self._filter["window"]
        epoch_ms = round(lab.config.start_time.timestamp() * 1000)
        if window is not None:
            low, high = (epoch_ms + round(t * 1000) for t in window)
            events = [e for e in events if low <= e["timestamp"] <= high]
        request_id = self._filter["request_id"]
        if request_id is not None:
            events = [e for e in events if request_id in e["message"]]
        return log_scene(events, epoch_ms, self._function_name, self._title)

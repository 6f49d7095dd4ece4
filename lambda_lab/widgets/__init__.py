"""Views of a trace, knobs and labs: what students watch and turn.

Views (:mod:`.views`) turn a trace into a *scene* (:mod:`.scene`, the
format both renderers share), drawn live by the ES module in ``static/``
and as a static SVG (:mod:`.svg`) for saved notebooks.  Knobs (:mod:`.knobs`)
are built from the settings models; labs (:mod:`.labs`) compose knobs, views
and key numbers around a scenario.  Everything here calls
:class:`~lambda_lab.Lab` and reads its trace, nothing else.
"""

from __future__ import annotations

from .base import SceneView
from .knobs import knob
from .labs import AsyncLab, IdempotencyLab, QueueLab, ScenarioLab, StreamLab, SyncLab
from .publish import publish
from .views import FlowDiagram, LogView, MetricsChart, Timeline, TraceView

__all__ = [
    "AsyncLab",
    "FlowDiagram",
    "IdempotencyLab",
    "LogView",
    "MetricsChart",
    "QueueLab",
    "ScenarioLab",
    "SceneView",
    "StreamLab",
    "SyncLab",
    "Timeline",
    "TraceView",
    "knob",
    "publish",
]

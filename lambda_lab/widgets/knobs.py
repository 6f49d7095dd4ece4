"""Knobs: ipywidgets controls built from the settings models, so ranges cannot drift.

:func:`knob` reads a field of a pydantic model (its type, ``ge``/``le``
bounds and default) and makes the control for it: an integer slider, a
float slider, a checkbox or a drop-down.  A lab's retries knob is therefore
0-2 because :class:`~lambda_lab.config.EventInvokeConfig` says so, and the
same value is validated again by the call the knob feeds.  Sliders update on
release or key press only (``continuous_update=False``): dragging does not
rerun a scenario at every pixel.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import annotated_types
import ipywidgets
from pydantic import BaseModel

__all__ = ["bounds", "knob"]


def bounds(model: type[BaseModel], field: str) -> tuple[float | None, float | None]:
    """The inclusive ``(low, high)`` a model allows for ``field`` (None: unbounded)."""
    info = model.model_fields[field]
    low = high = None
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Gt):
            low = item.gt
        elif isinstance(item, annotated_types.Le):
            high = item.le
        elif isinstance(item, annotated_types.Lt):
            high = item.lt
    return low, high


def _base_type(annotation: Any) -> Any:
    """``int`` for ``int | None``; a ``Literal`` stays as it is."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def knob(
    model: type[BaseModel],
    field: str,
    *,
    value: Any = None,
    description: str | None = None,
    high: float | None = None,
    step: float | None = None,
) -> ipywidgets.Widget:
    """The control for ``model.field``, starting at ``value`` (default: the field's default).

    ``high`` bounds a field the model leaves unbounded above (say reserved
    concurrency, whose limit is the account's); it may not widen a bound the
    model sets.
    """
    if field not in model.model_fields:
        raise ValueError(f"{model.__name__} has no field {field!r}")
    info = model.model_fields[field]
    kind = _base_type(info.annotation)
    low, top = bounds(model, field)
    if top is not None and high is not None and high > top:
        raise ValueError(f"high {high} is above {model.__name__}.{field}'s maximum {top}")
    top = top if top is not None else high
    label = description or field.replace("_", " ")
    default = info.default if value is None else value
    style = {"description_width": "initial"}
    tip = info.description or f"{model.__name__}.{field}"
    if kind is bool:
        widget: ipywidgets.Widget = ipywidgets.Checkbox(
            value=bool(default), description=label, indent=False, tooltip=tip
        )
    elif typing.get_origin(kind) is typing.Literal:
        options = list(typing.get_args(kind))
        widget = ipywidgets.Dropdown(
            options=options, value=default if default in options else options[0],
            description=label, style=style, tooltip=tip,
        )  # fmt: skip
    elif kind in (int, float) and (low is None or top is None):
        raise ValueError(f"{model.__name__}.{field} needs bounds for a slider (give high=)")
    elif kind is int:
        start = int(low if default is None else default)
        widget = ipywidgets.IntSlider(
            value=start, min=int(low), max=int(top), step=int(step or 1), description=label,
            continuous_update=False, style=style, tooltip=tip,
        )  # fmt: skip
    elif kind is float:
        start = float(low if default is None else default)
        widget = ipywidgets.FloatSlider(
            value=start, min=float(low), max=float(top), step=step or (top - low) / 100,
            description=label, continuous_update=False, readout_format=".2f", style=style,
            tooltip=tip,
        )  # fmt: skip
    else:
        raise ValueError(f"{model.__name__}.{field} has no knob for type {kind!r}")
    return widget

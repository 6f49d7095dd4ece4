"""The one widget class every view is: a scene, synced to the shared ES module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["STATIC", "SceneView"]

#: The committed bundle (built from ``js/`` by ``make js``) and its stylesheet.
STATIC = Path(__file__).parent / "static"


class SceneView(anywidget.AnyWidget):
    """A view that draws ``scene`` (see :mod:`lambda_lab.widgets.scene`).

    Subclasses build the scene from a trace; this class only carries it to
    the browser.  ``__repr__`` is short and deterministic, so a notebook's
    saved output does not change from run to run.
    """

    _esm = STATIC / "views.js"
    _css = STATIC / "views.css"
    scene = traitlets.Dict().tag(sync=True)

    def __init__(self, scene: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(scene=scene or {}, **kwargs)

    def __repr__(self) -> str:
        scene = self.scene
        return (
            f"<{type(self).__name__} {scene.get('view', '?')}: {len(scene.get('marks', []))} marks>"
        )

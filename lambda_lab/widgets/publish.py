"""Export course notebooks to HTML that shows the static pictures, offline.

nbconvert prefers a widget's live view, which needs a kernel and the widget
manager from a CDN: offline, an HTML export would show nothing where a view
was.  :func:`publish` puts ``image/svg+xml`` (then HTML, then text) ahead of
the widget view, so every view appears as the deterministic SVG it saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["DISPLAY_PRIORITY", "publish"]

#: What an exported output shows, first choice first: the static picture wins.
DISPLAY_PRIORITY = [
    "image/svg+xml",
    "text/html",
    "text/markdown",
    "image/png",
    "image/jpeg",
    "text/plain",
    "application/vnd.jupyter.widget-view+json",
]


def publish(notebooks: str | Path | Iterable[str | Path], output_dir: str | Path = "build/html"):
    """Write each notebook as ``<output_dir>/<name>.html``; returns the paths written.

    Outputs are taken as saved (nothing is executed), so an export is as
    deterministic as the notebook.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    if isinstance(notebooks, (str, Path)):
        notebooks = [notebooks]
    config = Config()
    config.NbConvertBase.display_data_priority = DISPLAY_PRIORITY
    # Saved widget state would make the export embed the live widget instead.
    config.HTMLExporter.exclude_input_prompt = False
    exporter = HTMLExporter(config=config)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in notebooks:
        path = Path(name)
        notebook = nbformat.read(path, as_version=4)
        notebook.metadata.pop("widgets", None)
        body, _ = exporter.from_notebook_node(notebook)
        target = out / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written

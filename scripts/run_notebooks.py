"""Execute course notebooks in place and strip what changes from run to run.

    python scripts/run_notebooks.py notebooks/03_event_source_mappings.ipynb ...

nbconvert stamps every cell with wall-clock execution times; they would make
each re-run a diff and are no part of what the course shows, so they go.
Widget state is not stored: with it, an HTML export or GitHub would show the
(blank, offline) live widget instead of each view's SVG.  Outputs stay: nbval
compares them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def strip(path: Path) -> None:
    """Drop the per-cell ``execution`` timestamps nbconvert writes, and any widget state."""
    notebook = json.loads(path.read_text())
    notebook["metadata"].pop("widgets", None)
    for cell in notebook["cells"]:
        cell.get("metadata", {}).pop("execution", None)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def main(paths: list[str]) -> None:
    for name in paths:
        path = Path(name)
        subprocess.run(
            [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
             "--inplace", "--ExecutePreprocessor.store_widget_state=False", path.name],
            cwd=path.parent,
            check=True,
        )  # fmt: skip
        strip(path)


if __name__ == "__main__":
    main(sys.argv[1:])

"""The project's own set-up: the two README commands, CI, and what Binder reads."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lambda_lab

ROOT = Path(__file__).resolve().parents[1]


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_makefile_binds_the_lab_to_loopback_with_a_token():
    makefile = (ROOT / "Makefile").read_text()
    (lab_rule,) = re.findall(r"^lab:.*?(?=^\S)", makefile, re.M | re.S)
    assert "--ip 127.0.0.1" in lab_rule and "root_dir=notebooks" in lab_rule
    assert "token=''" not in lab_rule and 'token=""' not in lab_rule


def test_public_names_are_exported_once_and_sorted():
    names = lambda_lab.__all__
    assert names == sorted(names) and len(names) == len(set(names))
    assert all(hasattr(lambda_lab, name) for name in names)


#: A ``$`` that JupyterLab's markdown may take as TeX math: a bare one, or ``\$`` (which
#: JupyterLab does not treat as an escape); a ``$`` right after a backtick is code.
_MATH_DOLLAR = re.compile(r"(?<![`\\])\$|\\\$")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)


def _markdown_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (i, "".join(cell["source"]))
        for i, cell in enumerate(cells)
        if cell["cell_type"] == "markdown"
    ]


def test_the_dollar_check_catches_what_jupyterlab_renders_as_math():
    # GIVEN markdown as the course writes it
    def dollars(text):
        return len(_MATH_DOLLAR.findall(_CODE_SPAN.sub("", text)))

    # THEN escaped and bare amounts count, amounts inside code spans do not
    assert dollars(r"each have \$20 and are owed \$10") == 2
    assert dollars("each have $20 and are owed $10") == 2
    assert dollars("each have `$20` and are owed ``$10``, in `$LATEST`") == 0
    assert dollars("each have 20 USD and are owed 10 USD; one $ alone") == 1


@pytest.mark.parametrize(
    "notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name
)
def test_no_markdown_cell_has_dollar_signs_that_render_as_math(notebook):
    # GIVEN every markdown cell of a course notebook, with its code spans removed
    for index, source in _markdown_cells(notebook):
        prose = _CODE_SPAN.sub("", source)
        # THEN it has fewer than two $ signs: two would open and close TeX math in
        # JupyterLab ("each have $20 and are owed $10" loses its amounts), escaped or not
        found = _MATH_DOLLAR.findall(prose)
        assert len(found) < 2, (
            f"{notebook.name} cell {index}: {len(found)} '$' outside code spans would render "
            "as math in JupyterLab; write amounts as '20 USD' or in a code span"
        )


def test_binder_installs_the_package_itself():
    requirements = (ROOT / "binder" / "requirements.txt").read_text().split("\n")
    assert "-e ." in requirements or "." in requirements
    assert re.fullmatch(r"python-3\.\d+\s*", (ROOT / "binder" / "runtime.txt").read_text())
    assert not (ROOT / ".binder").exists()  # repo2docker reads one folder, never both


@pytest.mark.skipif(
    shutil.which("repo2docker") is None
    and not Path(sys.executable).with_name("repo2docker").exists(),
    reason="repo2docker not installed",
)
def test_repo2docker_accepts_the_binder_folder():
    exe = shutil.which("repo2docker") or str(Path(sys.executable).with_name("repo2docker"))
    out = subprocess.run(
        [exe, "--no-build", "--debug", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    dockerfile = out.stdout + out.stderr
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "python=3.11" in dockerfile  # runtime.txt chose the Python

"""The README's quick start must keep working: every ```python block is executed."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_a_quick_start():
    blocks = python_blocks()
    assert blocks, "README.md has no ```python block"
    assert any("lab.invoke(" in block for block in blocks)


def test_every_python_block_of_the_readme_runs():
    # The blocks run in order in one namespace, as cells of a notebook would;
    # their own asserts are the checks.
    namespace: dict = {"__name__": "readme"}
    for number, block in enumerate(python_blocks(), start=1):
        code = compile(block, f"README.md:python-block-{number}", "exec")
        exec(code, namespace)

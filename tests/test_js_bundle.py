"""The committed widget bundle: built from js/ exactly, and loading nothing from the network.

Students, Binder and ``pip install`` use ``lambda_lab/widgets/static/views.js`` as
committed, without Node; so a change to ``js/src`` that was not rebuilt (or a
rebuild from other dependency versions than ``js/package-lock.json``) would ship
stale code silently.  The rebuild here catches that.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "js"
STATIC = ROOT / "lambda_lab" / "widgets" / "static"
BUNDLE = STATIC / "views.js"
STYLES = STATIC / "views.css"

# Namespace names that DOM code passes to createElementNS: identifiers, never fetched.
XML_NAMESPACES = {
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/2000/xmlns/",
    "http://www.w3.org/XML/1998/namespace",
}
URL = re.compile(r"""https?://[^\s"'`()<>]*""")


def _build_args(outfile: Path) -> list[str]:
    """The `build` script of js/package.json, with its --outfile swapped for ``outfile``."""
    script = json.loads((JS / "package.json").read_text())["scripts"]["build"]
    words = shlex.split(script)
    assert words[0] == "esbuild", f"the build script should run esbuild: {script!r}"
    outs = [w for w in words if w.startswith("--outfile=")]
    assert len(outs) == 1, f"the build script should name one --outfile: {script!r}"
    assert (JS / outs[0].removeprefix("--outfile=")).resolve() == BUNDLE
    return [f"--outfile={outfile}" if w in outs else w for w in words[1:]]


def test_committed_bundle_is_what_js_builds(tmp_path):
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("node/npm not found: cannot rebuild js/ to compare with the committed bundle")
    # GIVEN a copy of js/ without its node_modules, installed from the lock file only
    work = tmp_path / "js"
    shutil.copytree(JS, work, ignore=shutil.ignore_patterns("node_modules"))
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=work,
        check=True,
        capture_output=True,
        timeout=300,
    )
    # WHEN esbuild runs with the build script's own arguments, into tmp
    out = tmp_path / "views.js"
    subprocess.run(
        [str(work / "node_modules" / ".bin" / "esbuild"), *_build_args(out)],
        cwd=work,
        check=True,
        capture_output=True,
        timeout=120,
    )
    # THEN the result is the committed bundle, byte for byte
    assert out.read_bytes() == BUNDLE.read_bytes(), (
        "lambda_lab/widgets/static/views.js is not what js/ builds: run `make js` and commit it"
    )


def test_bundle_and_styles_load_nothing_from_a_cdn():
    bundle = BUNDLE.read_text(encoding="utf-8")
    styles = STYLES.read_text(encoding="utf-8")
    # The bundle is self-contained: no import statement or dynamic import() left in it
    assert not re.search(r"(?<![\w.$])import\s*[(\"'{*\w]", bundle)
    assert re.search(r"export\s*\{", bundle), "the bundle should be an ES module"
    # and its only URLs are XML namespace names
    assert set(URL.findall(bundle)) <= XML_NAMESPACES, set(URL.findall(bundle)) - XML_NAMESPACES
    # The stylesheet imports nothing and refers to no URL (fonts, images)
    assert "@import" not in styles
    assert not URL.findall(styles)

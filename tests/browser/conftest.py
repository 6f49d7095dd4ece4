"""A JupyterLab server and Debian's chromium, shared by the browser tests.

The server runs from this venv on 127.0.0.1 with a random token, its own
settings, config, runtime and workspace folders, and a temporary root holding
copies of the notebooks under test, so nothing of the developer's own Jupyter
set-up (or an earlier run's saved workspace) leaks in, and the repository's
notebooks are never written to.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pages import COURSE

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_ENV = "LAMBDA_LAB_REQUIRE_BROWSER"
# From the toolchain notes: what Debian's chromium needs to run headless as root,
# offline, without first-run chores.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOTEBOOKS = ["scenes_demo.ipynb", "large_trace.ipynb"]

# The demo notebooks are driven in the browser, not compared by nbval: their
# outputs are live widgets, which nbval does not check.
collect_ignore_glob = ["*.ipynb"]

TIMINGS = pytest.StashKey[dict]()


def _unavailable(reason: str) -> None:
    """Skip, or fail where CI has said the browser tests must run."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def timings(request: pytest.FixtureRequest) -> dict[str, str]:
    """Measurements the tests report (printed in the summary, never asserted)."""
    return request.config.stash.setdefault(TIMINGS, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    found = config.stash.get(TIMINGS, {})
    if found:
        terminalreporter.section("browser timings (measured, not asserted)")
        for name, value in found.items():
            terminalreporter.write_line(f"{name}: {value}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    settings: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"


def _write_settings(settings: Path) -> None:
    # No news or update checks: the machine is offline, and their toast would
    # cover the notebook in screenshots.
    # Every cell rendered, not only the visible ones (JupyterLab 4 windows long
    # notebooks by default): a test counts the views of the whole notebook.
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"})
    )


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _unavailable(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) "
            "to run the browser tests"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    return CHROMIUM


@pytest.fixture(scope="session")
def lab(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("jupyterlab")
    root, settings = base / "root", base / "settings"
    root.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(HERE / name, root / name)
    for name in COURSE:
        shutil.copy(ROOT / "notebooks" / name, root / name)
    _write_settings(settings)
    env = dict(os.environ)
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
    )
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")  # CI and these machines run as root
    log_path = base / "jupyterlab.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(proc, f"{url}/api/status?token={token}", log_path)
        yield Lab(url=url, token=token, root=root, settings=settings)
    finally:
        _stop(proc, f"{url}/api/shutdown?token={token}")


def _wait_until_ready(proc: subprocess.Popen, status_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{tail}", pytrace=False)
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    tail = log_path.read_text(errors="replace")[-2000:]
    pytest.fail(f"jupyter lab did not answer /api/status within 60 s:\n{tail}", pytrace=False)


def _stop(proc: subprocess.Popen, shutdown_url: str) -> None:
    """Shut the server down (its kernels with it), by its own pid if it does not go."""
    if proc.poll() is None:
        try:
            request = urllib.request.Request(shutdown_url, method="POST")
            urllib.request.urlopen(request, timeout=5).close()
            proc.wait(timeout=15)
        except (urllib.error.URLError, ConnectionError, TimeoutError, subprocess.TimeoutExpired):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

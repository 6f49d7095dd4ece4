"""The course notebooks in a real JupyterLab: every view drawn, a knob turned by keyboard,
the flow played, the dark theme, and the HTML export.

Each notebook is opened and run with Run All Cells; the assertions compare what
the browser drew with the figures the notebook printed (which nbval checks), so
a picture that disagrees with its numbers fails here.  Timings are measured and
printed in the summary, never asserted.
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import time

import pytest
from pages import COURSE, KERNEL_READY_INIT_JS, ROOT, TIMEOUT_MS, menu

# Resolves, in page time, with how long the first view took: from Run All, and
# from the moment its widget output reached the page (the kernel's part done).
FIRST_VIEW_JS = """(timeout) => {
  const t0 = performance.now();
  let output = null;
  window.__llFirstView = new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      const mime = "application/vnd.jupyter.widget-view+json";
      if (output === null && document.querySelector(`[data-mime-type="${mime}"]`)) {
        output = performance.now();
      }
      if (document.querySelector(".ll-view svg")) {
        observer.disconnect();
        const now = performance.now();
        resolve({ runAll: now - t0, output: now - (output ?? now) });
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
    setTimeout(() => reject(new Error("no view was drawn")), timeout);
  });
}"""


# Presses a key on a slider handle and resolves, in page time, when the lab's
# timeline has been drawn again (the kernel reran the scenario).
KNOB_JS = """([labIndex, key, timeout]) => new Promise((resolve, reject) => {
  const lab = document.querySelectorAll(".ll-lab")[labIndex];
  const timeline = lab.querySelector(".ll-view[data-view=timeline]");
  const before = timeline.dataset.drawCount;
  const t0 = performance.now();
  const observer = new MutationObserver(() => {
    if (timeline.dataset.drawCount !== before) {
      observer.disconnect();
      resolve(performance.now() - t0);
    }
  });
  observer.observe(timeline, { attributes: true, subtree: true, childList: true });
  setTimeout(() => reject(new Error("the timeline was not redrawn")), timeout);
  const handle = lab.querySelector(".widget-slider .noUi-handle");
  handle.focus();
  handle.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
})"""


def _open(page, lab, name: str, timings) -> None:
    # A workspace of its own, reset: JupyterLab would otherwise reopen the
    # notebooks of earlier tests beside this one, and Run All could go to them.
    stem = name.rsplit(".", 1)[0].replace("_", "-")
    page.goto(f"{lab.url}/lab/workspaces/{stem}/tree/{name}?reset&token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    page.wait_for_function("window.__llKernelReady === true")
    page.evaluate(FIRST_VIEW_JS, TIMEOUT_MS)
    menu(page, "Run", "Run All Cells")
    first = page.evaluate("window.__llFirstView")
    timings[f"{name}: first view drawn, from Run All / from its output (ms)"] = (
        f"{first['runAll']:.0f} / {first['output']:.0f}"
    )
    page.wait_for_function(
        "() => document.querySelector('.jp-Notebook-ExecutionIndicator')"
        "?.dataset.status === 'idle' && ![...document.querySelectorAll('.jp-InputPrompt')]"
        ".some(p => p.textContent.includes('*'))",
        timeout=120_000,
    )


#: Views per output, by the start of the output's text (a lab has two or three).
VIEWS_PER_OUTPUT = {"<Timeline": 1, "<FlowDiagram": 1, "<MetricsChart": 1, "<LogView": 1,
                    "<SyncLab": 2, "<AsyncLab": 2, "<IdempotencyLab": 3, "<QueueLab": 2,
                    "<StreamLab": 3}  # fmt: skip


def _summary(view) -> dict[str, str]:
    """A view's key-number rows, as the browser shows them."""
    return dict(
        view.locator(".ll-summary tr").evaluate_all(
            "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"
        )
    )


def _views_saved_in(path) -> int:
    """How many views the saved notebook's outputs hold."""
    count = 0
    for cell in json.loads(path.read_text())["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("data", {}).get("text/plain", ""))
            count += next((n for k, n in VIEWS_PER_OUTPUT.items() if text.startswith(k)), 0)
    return count


@pytest.fixture(scope="module")
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 2400})
    context.add_init_script(KERNEL_READY_INIT_JS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A new tab for each test, closed after it."""
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    page.close()


@pytest.mark.parametrize("name", COURSE)
def test_every_view_of_the_notebook_is_drawn_as_its_picture_says(
    name, lab, page, timings, screenshots
):
    # GIVEN a course notebook, run in the browser
    _open(page, lab, name, timings)
    # THEN there are as many live views as the notebook has view outputs
    views = page.locator(".ll-view")
    expected = _views_saved_in(ROOT / "notebooks" / name)
    try:  # the last outputs may still be drawing when the kernel is idle
        page.wait_for_function(
            "n => document.querySelectorAll('.ll-view').length >= n", arg=expected
        )
    except Exception:
        page.screenshot(path=str(screenshots / f"{name[:-6]}-missing-views.png"))
        raise
    assert views.count() == expected
    # AND no output is a widget error
    assert page.locator("text=Error displaying widget").count() == 0
    # AND each timeline has one bar per attempt its own summary counts
    for timeline in page.locator(".ll-view[data-view=timeline]").all():
        rows = _summary(timeline)
        if timeline.locator(".ll-note").count() and "aggregated" in (
            timeline.locator(".ll-note").text_content() or ""
        ):
            continue
        bars = sum(
            timeline.locator(f"rect.ll-{cls}").count() for cls in ("success", "error", "timeout")
        )
        assert bars == int(rows["attempts"].replace(",", ""))
    page.screenshot(path=str(screenshots / f"{name[:-6]}-light.png"))


def test_turning_retries_from_2_to_0_by_keyboard_removes_the_retry_attempts(lab, page, timings):
    # GIVEN notebook 02 run: its AsyncLab was last set (in code) to retries 0
    _open(page, lab, "02_asynchronous.ipynb", timings)
    async_lab = page.locator(".ll-lab").first
    timeline = async_lab.locator(".ll-view[data-view=timeline]")
    assert timeline.locator("line.ll-retry").count() == 0
    # WHEN the retries slider is moved up to 2 with the keyboard
    delays = [page.evaluate(KNOB_JS, [0, "ArrowRight", TIMEOUT_MS]) for _ in range(2)]
    # THEN the failed attempts have their retries, with arrows
    assert async_lab.locator(".widget-slider .widget-readout").first.text_content() == "2"
    assert timeline.locator("line.ll-retry").count() > 0
    # WHEN it is moved back from 2 to 0
    delays += [page.evaluate(KNOB_JS, [0, "ArrowLeft", TIMEOUT_MS]) for _ in range(2)]
    # THEN the timeline has no retry arrow left, and one attempt per event
    assert timeline.locator("line.ll-retry").count() == 0
    rows = _summary(timeline)
    assert rows["attempts"] == "4" and rows["retries"] == "0"
    # AND back up and down again, to measure a knob's round trip
    for key in ("ArrowRight", "ArrowLeft") * 5:
        delays.append(page.evaluate(KNOB_JS, [0, key, TIMEOUT_MS]))
    delays.sort()
    p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
    timings["knob change to redrawn picture, p95 / median (ms)"] = (
        f"{p95:.0f} / {statistics.median(delays):.0f} over {len(delays)} changes"
    )


def test_the_flow_plays_and_the_dark_theme_recolours_it(lab, page, screenshots):
    # GIVEN notebook 01 run, and its first flow at the start of its clock
    _open(page, lab, "01_synchronous.ipynb", {})
    flow = page.locator(".ll-view[data-view=flow]").first
    clock = flow.locator(".ll-clock")
    token = flow.locator(".ll-token").first
    start = token.get_attribute("transform")
    # WHEN Play is pressed
    flow.locator("button.ll-play").click()
    page.wait_for_function("el => el.textContent !== 't = 0.00 s'", arg=clock.element_handle())
    flow.locator("button.ll-play").click()
    # THEN the clock ran and a token moved
    assert clock.text_content() != "t = 0.00 s"
    page.wait_for_function(
        "([el, before]) => el.getAttribute('transform') !== before",
        arg=[token.element_handle(), start],
    )
    # WHEN the theme becomes JupyterLab Dark
    label = flow.locator("text.ll-actor-label").first
    light = label.evaluate("el => getComputedStyle(el).fill")
    menu(page, "Settings", "Theme", "JupyterLab Dark")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    # THEN the text colour comes from the theme's variables
    page.wait_for_function(
        "([el, before]) => getComputedStyle(el).fill !== before",
        arg=[label.element_handle(), light],
    )
    page.screenshot(path=str(screenshots / "01_synchronous-dark.png"))
    menu(page, "Settings", "Theme", "JupyterLab Light")


def test_a_large_trace_is_drawn_aggregated(lab, page, timings):
    # GIVEN the large-trace notebook: 20,000 events, 120,000 trace records
    started = time.perf_counter()
    _open(page, lab, "large_trace.ipynb", timings)
    timings["large trace: notebook run to all views drawn (s)"] = (
        f"{time.perf_counter() - started:.1f}"
    )
    # THEN each view is bounded and says what it aggregated
    notes = page.locator(".ll-view .ll-note").all_text_contents()
    assert any(n.startswith("aggregated: 20,000 attempts") for n in notes)
    assert page.locator(".ll-view[data-view=timeline] rect").count() <= 5000
    render = page.locator(".jp-OutputArea-output pre", has_text="scene built in")
    timings["large trace: scenes built in Python (s)"] = (
        (render.first.text_content() or "").strip().rsplit(" ", 2)[-2]
    )
    draws = page.eval_on_selector_all(
        ".ll-view", "els => els.map(e => e.dataset.view + ' ' + e.dataset.drawMs)"
    )
    timings["large trace: draw() per view (ms)"] = ", ".join(draws)


def test_an_html_export_shows_the_svg_pictures(browser, tmp_path):
    # GIVEN notebook 02 exported with lambda_lab.publish
    import lambda_lab as ll

    (html,) = ll.publish(ROOT / "notebooks" / "02_asynchronous.ipynb", tmp_path)
    text = html.read_text()
    assert "application/vnd.jupyter.widget-view+json" not in text
    # WHEN it is opened offline in the browser
    page = browser.new_page()
    try:
        page.goto(html.as_uri())
        images = page.locator("img[src^='data:image/svg+xml']")
        # THEN every view is an image that loaded, with the pictures' own content
        saved = json.loads((ROOT / "notebooks" / "02_asynchronous.ipynb").read_text())
        pictures = sum(
            "image/svg+xml" in output.get("data", {})
            for cell in saved["cells"]
            for output in cell.get("outputs", [])
        )
        assert pictures >= 4 and images.count() == pictures
        widths = images.evaluate_all("imgs => imgs.map(i => i.complete && i.naturalWidth)")
        assert all(w and w > 0 for w in widths)
        first = images.first.get_attribute("src").split(",", 1)[1]
        assert re.search(r"ll-(success|error)", base64.b64decode(first).decode())
    finally:
        page.close()

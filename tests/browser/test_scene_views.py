"""The scene views in a real JupyterLab: what views.js draws, and how a reader drives it.

One page opens ``scenes_demo.ipynb`` and runs all its cells; the tests then
read and drive that page in order (the 1,000-mark redraw and the dark theme
change it, so they come last).  Waits are for conditions, with timeouts as
safety nets only; no assert depends on how fast anything ran.
"""

from __future__ import annotations

import json
import re

import pytest
from pages import KERNEL_READY_INIT_JS, TIMEOUT_MS, menu

NOTEBOOK = "scenes_demo.ipynb"
TIMELINE = ".ll-view[data-view=timeline]"
FLOW = ".ll-view[data-view=flow]"
LOGS = ".ll-view[data-view=logs]"

# Resolves, in page time, once the three views of the demo are drawn.
FIRST_RENDER_JS = """(timeout) => {
  const t0 = performance.now();
  window.__llFirstRender = new Promise((resolve, reject) => {
    const done = () => document.querySelectorAll(".ll-view svg").length >= 3;
    const observer = new MutationObserver(() => {
      if (done()) { observer.disconnect(); resolve(performance.now() - t0); }
    });
    observer.observe(document.body, { childList: true, subtree: true });
    setTimeout(() => reject(new Error("the three views were not drawn")), timeout);
  });
}"""

# Clicks the notebook's button (kernel round trip: the kernel sets a 1,000-mark
# scene) and resolves, in page time, once the timeline holds the new marks.
REDRAW_JS = """(timeout) => new Promise((resolve, reject) => {
  const view = document.querySelector(".ll-view[data-view=timeline]");
  const button = [...document.querySelectorAll(".widget-button")]
    .find((b) => b.textContent.includes("1,000"));
  const t0 = performance.now();
  const observer = new MutationObserver(() => {
    if (view.querySelectorAll("rect.ll-m-rect").length >= 1000) {
      observer.disconnect();
      resolve({ total: performance.now() - t0, draw: Number(view.dataset.drawMs) });
    }
  });
  observer.observe(view, { childList: true, subtree: true });
  setTimeout(() => reject(new Error("the 1,000 marks were not drawn")), timeout);
  button.click();
})"""


@pytest.fixture(scope="module")
def page(lab, browser, timings, screenshots):
    context = browser.new_context(viewport={"width": 1280, "height": 2800})
    context.add_init_script(KERNEL_READY_INIT_JS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(lab.notebook_url(NOTEBOOK))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    page.wait_for_function("window.__llKernelReady === true")
    page.evaluate(FIRST_RENDER_JS, TIMEOUT_MS)
    menu(page, "Run", "Run All Cells")
    try:
        first = page.evaluate("window.__llFirstRender")
    except Exception:
        # What the page showed instead is the quickest way to see why.
        page.screenshot(path=str(screenshots / "scenes_demo-not-drawn.png"))
        raise
    timings["first render, Run All Cells to 3 views drawn (ms)"] = f"{first:.0f}"
    draws = page.eval_on_selector_all(
        ".ll-view", "els => els.map(e => e.dataset.view + ' ' + e.dataset.drawMs)"
    )
    timings["draw() of each view on first render (ms)"] = ", ".join(draws)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status=idle]")
    page.screenshot(path=str(screenshots / "scenes_demo-light.png"))
    yield page
    context.close()


def _summary(page, view: str) -> dict[str, int]:
    rows = page.eval_on_selector_all(
        f"{view} .ll-summary tr",
        "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])",
    )
    return {label: int(value) for label, value in rows}


def _transform(page, token_id: str) -> str:
    return page.get_attribute(f"{FLOW} [data-token={token_id}]", "transform") or ""


def _clock(page) -> float:
    text = page.text_content(f"{FLOW} .ll-clock") or ""
    match = re.fullmatch(r"t = (-?\d+\.\d\d) s", text)
    assert match, f"clock reads {text!r}"
    return float(match.group(1))


def test_each_view_is_an_svg_image_named_by_its_title(page):
    for view, title in [(TIMELINE, "17 attempts"), (FLOW, "Three requests")]:
        svg = page.locator(f"{view} svg.ll-svg")
        assert svg.get_attribute("role") == "group"  # selectable marks inside
        assert svg.get_attribute("aria-label") == title
        assert svg.get_attribute("viewBox") == f"0 0 720 {svg.get_attribute('height')}"
        assert page.text_content(f"{view} .ll-title") == title
    # the axis is d3-axis's, with the scene's labels on the scene's ticks
    assert page.locator(f"{TIMELINE} .ll-m-axis .tick text").all_text_contents() == [
        "0",
        "25",
        "50",
    ]


def test_timeline_draws_one_rect_per_outcome_mark_of_the_scene(page):
    # GIVEN the counts the scene itself reports in its summary rows
    expected = _summary(page, TIMELINE)
    assert set(expected) == {"success", "error", "retry"} and sum(expected.values()) == 17
    # THEN the view has exactly that many rects of each outcome class
    for cls, count in expected.items():
        assert page.locator(f"{TIMELINE} rect.ll-{cls}").count() == count, cls
    # and every rect is a named, focusable button
    rect = page.locator(f"{TIMELINE} rect.ll-error").first
    assert rect.get_attribute("tabindex") == "0" and rect.get_attribute("role") == "button"
    assert rect.get_attribute("aria-label") == rect.locator("title").text_content()


def test_clicking_or_pressing_enter_on_a_mark_shows_its_record(page):
    details = page.locator(f"{TIMELINE} pre.ll-details")
    # WHEN the first error attempt is clicked
    first = page.locator(f"{TIMELINE} rect.ll-error").first
    first.click()
    # THEN it is selected and the details pane shows its record
    assert "ll-selected" in (first.get_attribute("class") or "")
    assert json.loads(details.text_content()) == {"attempt": 2, "outcome": "error", "start_s": 0.5}
    # WHEN another mark is focused and Enter pressed
    retry = page.locator(f"{TIMELINE} rect.ll-retry").first
    retry.focus()
    retry.press("Enter")
    # THEN the selection moves to it
    assert json.loads(details.text_content())["outcome"] == "retry"
    assert "ll-selected" not in (first.get_attribute("class") or "")
    assert retry.get_attribute("aria-pressed") == "true"


def test_flow_step_and_scrub_move_tokens_along_their_paths(page):
    # GIVEN the clock at the start: only the token whose first time is 0 shows
    assert _clock(page) == 0.0
    assert page.locator(f"{FLOW} .ll-token.ll-token-hidden").count() == 2
    before = _transform(page, "t1")
    # WHEN Step is pressed
    page.click(f"{FLOW} button.ll-step")
    # THEN the clock jumps to the next time a token reaches a point, and t1 has moved
    assert _clock(page) == 0.5
    assert _transform(page, "t1") != before
    assert page.locator(f"{FLOW} .ll-token.ll-token-hidden").count() == 1
    # WHEN the slider is dragged with the keyboard to its end
    slider = page.locator(f"{FLOW} input.ll-scrub")
    assert slider.get_attribute("aria-label")
    slider.focus()
    slider.press("End")
    # THEN every token sits at its last point, faded
    assert _clock(page) == 4.0
    assert page.locator(f"{FLOW} .ll-token.ll-token-done").count() == 3
    slider.press("Home")
    assert _clock(page) == 0.0


def test_play_runs_the_clock_and_pause_stops_it(page):
    play = page.locator(f"{FLOW} button.ll-play")
    page.select_option(f"{FLOW} select.ll-speed", "4")
    start = _transform(page, "t1")
    play.click()
    assert play.text_content() == "Pause"
    page.wait_for_function(
        "sel => parseFloat(document.querySelector(sel).textContent.slice(4)) > 0.2",
        arg=f"{FLOW} .ll-clock",
    )
    play.press("Enter")  # the toggle works from the keyboard too
    assert play.text_content() == "Play"
    assert _transform(page, "t1") != start
    # a token is selectable like a mark
    page.locator(f"{FLOW} [data-token=t1]").click(force=True)
    details = page.text_content(f"{FLOW} pre.ll-details")
    assert json.loads(details) == {"request": 1, "outcome": "success"}


def test_with_reduced_motion_play_jumps_from_event_to_event(page):
    events = {0.5, 1.0, 1.5, 2.0, 2.5, 3.5, 4.0}
    page.emulate_media(reduced_motion="reduce")
    try:
        page.locator(f"{FLOW} input.ll-scrub").press("Home")
        page.click(f"{FLOW} button.ll-play")
        page.wait_for_function(
            "sel => document.querySelector(sel).textContent !== 't = 0.00 s'",
            arg=f"{FLOW} .ll-clock",
        )
        page.click(f"{FLOW} button.ll-play")
        assert _clock(page) in events
    finally:
        page.emulate_media(reduced_motion="no-preference")


def test_log_filter_keeps_matching_lines_and_counts_them(page):
    search = page.get_by_label("Filter log lines")
    count = page.locator(f"{LOGS} .ll-log-count")
    assert count.text_content() == "5 of 5 lines"
    assert page.locator(f"{LOGS} li.ll-log-error").count() == 1
    # WHEN a case-insensitive substring is typed
    search.fill("requestid")
    # THEN only START, END and REPORT remain
    assert count.text_content() == "3 of 5 lines"
    assert page.locator(f"{LOGS} li.ll-log-line:visible").count() == 3
    search.fill("KEYERROR")
    assert count.text_content() == "1 of 5 lines"
    search.fill("")
    assert count.text_content() == "5 of 5 lines"


def test_a_new_scene_from_the_kernel_redraws_the_view(page, timings):
    # WHEN the kernel swaps the timeline's scene for one of 1,000 attempts
    measured = page.evaluate(REDRAW_JS, TIMEOUT_MS)
    timings["scene change to redraw, 1,000 marks, button click to drawn (ms)"] = (
        f"{measured['total']:.0f}"
    )
    timings["draw() of the 1,000-mark scene (ms)"] = f"{measured['draw']:.1f}"
    # THEN the view shows the new scene
    expected = _summary(page, TIMELINE)
    assert sum(expected.values()) == 1000
    for cls, n in expected.items():
        assert page.locator(f"{TIMELINE} rect.ll-{cls}").count() == n
    assert page.text_content(f"{TIMELINE} .ll-title") == "1000 attempts"


def test_dark_theme_changes_the_colours_through_css_variables(page, screenshots):
    def colours():
        return page.evaluate(
            """() => {
              const title = document.querySelector(".ll-view .ll-title");
              const label = document.querySelector(".ll-view text.ll-actor-label");
              return [getComputedStyle(title).color, getComputedStyle(label).fill];
            }"""
        )

    light = colours()
    menu(page, "Settings", "Theme", "JupyterLab Dark")
    page.wait_for_selector("body[data-jp-theme-light=false]", state="attached")
    page.wait_for_function(
        "before => getComputedStyle(document.querySelector('.ll-view .ll-title')).color !== before",
        arg=light[0],
    )
    dark = colours()
    assert dark[0] != light[0] and dark[1] != light[1]
    page.screenshot(path=str(screenshots / "scenes_demo-dark.png"))

"""Measure the server-backed demos in a real browser, where a model or a backward pass must run on the server:
the m03 gradient-flow sliders (key press -> the last DOM change inside a chart, once nothing has changed for 600 ms)
and the m04 temperature playground (Re-sample click, or a new prime typed -> the samples' text changed).

    python -m tests.e2e.measure_server_demos [--n 8]

Each is done once to warm up, then `--n` times; the median and the worst are reported. measure_interactions waits
for the script state to pass through 'running', which a fast fragment rerun can skip (it hung on a 40 ms rerun);
this watches what the learner sees instead.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from core.cohort import store
from core.ui.state import COOKIE
from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, app_server, wait_idle

OBSERVE = """() => {
  window.__mut = [];
  const root = document.querySelector("[data-testid='stMainBlockContainer']");
  new MutationObserver(ms => {
    for (const m of ms) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (el && el.closest("[data-testid='stVegaLiteChart'], [data-testid='stCode']")) {
        window.__mut.push(performance.now());
        break;
      }
    }
  }).observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def _settled(page, t0: float, quiet_ms: float = 600) -> float:
    """ms from t0 to the last chart change, once the charts have been still for `quiet_ms`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        marks, now = page.evaluate("() => [window.__mut, performance.now()]")
        marks = [m for m in marks if m >= t0]
        if marks and now - marks[-1] > quiet_ms:
            wait_idle(page)
            return marks[-1] - t0
        time.sleep(0.02)
    raise TimeoutError("no chart changed within 30 s")


def _codes(page) -> list[str]:
    return page.get_by_test_id("stCode").all_inner_texts()


def _report(what: str, times: list[float], how: str) -> None:
    print(f"{what:40} median {statistics.median(times):6.0f} ms  worst {max(times):6.0f} ms  (n={len(times)}; {how})",
          flush=True)


def sliders(page, n: int) -> None:
    page.evaluate(OBSERVE)
    for label in ("sequence length T", "LSTM: forget-gate bias"):
        thumb = page.get_by_test_id("stSlider").filter(has_text=label).first.get_by_role("slider")
        thumb.scroll_into_view_if_needed()
        times = []
        for i in range(n + 1):
            page.evaluate("() => { window.__mut = []; }")
            t0 = page.evaluate("() => performance.now()")
            thumb.press("ArrowLeft" if i % 2 else "ArrowRight")
            times.append(_settled(page, t0))
        _report(f"m03 slider: {label}", times[1:], "key press -> chart redrawn")


def samples(page, n: int) -> None:
    for what in ("Re-sample", "new prime"):
        times = []
        for i in range(n + 1):
            before = _codes(page)
            t0 = time.perf_counter()
            if what == "Re-sample":
                page.get_by_role("button", name="Re-sample").click()
            else:  # the temperature playground's prime is the first such box on the page
                box = page.get_by_label("Start the text with").first
                box.fill(f"ROMEO {i}: ")
                box.press("Enter")
            deadline = time.monotonic() + 30
            while _codes(page) == before and time.monotonic() < deadline:
                time.sleep(0.01)
            times.append((time.perf_counter() - t0) * 1000)
            wait_idle(page)
        _report(f"m04 {what}", times[1:], "-> the three samples' text changed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        url = f"sqlite:///{Path(tmp) / 'course.db'}"
        db = store.open_store(url)
        _, token = db.create_learner("Timer")
        db.engine.dispose()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        with app_server(url) as (base, _proc):
            context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
            page = context.new_page()
            page.goto(f"{base}/m03_lstm")
            page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=120_000)
            wait_idle(page, 120_000)
            sliders(page, args.n)
            page.goto(f"{base}/m04_char_lm")
            page.get_by_role("button", name="Re-sample").wait_for(timeout=120_000)
            wait_idle(page, 120_000)
            samples(page, args.n)
        browser.close()


if __name__ == "__main__":
    main()

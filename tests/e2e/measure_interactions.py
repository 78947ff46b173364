"""Measure how long a slider move takes in a real browser: key press on the slider -> the rerun it triggers has
finished (Streamlit's script state back to 'notRunning'; on these pages the slider sits in an st.fragment, so only
that fragment reruns).

    python -m tests.e2e.measure_interactions [--moves 8]

Each slider is moved once to warm its caches, then `--moves` times; the median and the worst are reported.
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

# (page path, slider label) of the module 0-3 demos whose sliders still rerun on the server. The m02 what-if and
# the m03 gate playground compute in the browser now: measure_client_sliders and
# test_client_charts_m02_m08_browser time those (input -> chart redrawn).
SLIDERS = [
    ("m03_lstm", "sequence length T"),
    ("m03_lstm", "LSTM: forget-gate bias"),
]

WATCH = """() => {
  window.__runs = [];
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => window.__runs.push([performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def move_once(page, thumb, key: str) -> float:
    """Press `key` on the slider thumb; seconds until the rerun it caused has finished."""
    page.evaluate("() => { window.__runs = []; }")
    t0 = page.evaluate("() => performance.now()")
    thumb.press(key)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = page.evaluate("() => window.__runs")
        states = [s for _, s in runs]
        if "running" in states and states[-1] == "notRunning":
            return (runs[-1][0] - t0) / 1000
        time.sleep(0.01)
    raise TimeoutError("the rerun did not finish within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=8)
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
            print(f"{'page':10} {'slider':26} {'median ms':>9} {'worst ms':>9}")
            for path, label in SLIDERS:
                if not page.url.endswith(path):
                    page.goto(f"{base}/{path}")
                    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=120_000)
                    wait_idle(page, 120_000)
                    page.evaluate(WATCH)
                slider = page.get_by_test_id("stSlider").filter(has_text=label).first
                thumb = slider.get_by_role("slider")
                thumb.scroll_into_view_if_needed()
                move_once(page, thumb, "ArrowRight")  # warm-up: first computation of this setting
                times = [move_once(page, thumb, "ArrowLeft" if i % 2 else "ArrowRight") for i in range(args.moves)]
                print(f"{path:10} {label:26} {statistics.median(times) * 1000:9.0f} {max(times) * 1000:9.0f}",
                      flush=True)
        browser.close()


if __name__ == "__main__":
    main()

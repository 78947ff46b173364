"""Module 2's what-if explorer and Module 8's cost table in the real browser: moving a slider under the chart
redraws it without a script rerun, and the numbers Chromium draws are the server-side reference's (worked.trajectory,
decisions.cost_rows). Run on its own: `python -m tests.e2e.test_client_charts_m02_m08_browser [--shots DIR]` prints
the input -> redraw times and photographs both charts at 1280 and 390 px."""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

import pytest

from core.cohort import store
from core.course import decisions
from core.lessons import worked
from core.ui.lessons import limits_decisions
from core.ui.state import COOKIE
from tests.e2e import measure_client_sliders as client
from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, app_server, chromium_missing, wait_idle
from tests.ui.vega_eval import d3_format as js

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.skipif(missing is not None, reason=missing or "")]


def _norm(scale: float) -> str:
    tr = worked.trajectory(worked.recurrent_matrix("identity", 8, scale), steps=30, input_steps=3)
    return f"‖h₃₀‖ after the input stopped: {js(tr.norm[-1], '.3f')}"


def _api_total(log_req: float) -> str:
    inputs, approaches, _ = decisions.cost_defaults()
    inputs = decisions.CostInputs(limits_decisions.cost_input(log_req), inputs.tokens_per_request,
                                  inputs.engineer_cost_per_week, inputs.months)
    api = decisions.cost_rows(inputs, approaches)[0]
    return f"{api['approach']}: ${js(api[f'total over {inputs.months:g} months'], ',.0f')}"


SLIDERS = [client.Slider("m02_rnn", "scale of W_hh", 1.0, 0.1, _norm),
           client.Slider("m08_limitations", "requests per month (log₁₀)", 5.0, 0.1, _api_total)]


def _open(page, base: str, s: client.Slider) -> None:
    page.goto(f"{base}/{s.page}")
    page.locator(".vega-bind-name", has_text=s.label).first.wait_for(timeout=180_000)
    wait_idle(page, 180_000)
    page.evaluate(client.WATCH)


def _learner(tmp: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp / 'course.db'}"
    db = store.open_store(url)
    _, token = db.create_learner("Ada")
    db.engine.dispose()
    return url, token


@pytest.mark.parametrize("slider", SLIDERS, ids=lambda s: s.page)
def test_slider_redraws_in_the_browser_with_the_reference_numbers(browser, tmp_path, slider):
    url, token = _learner(tmp_path)
    with app_server(url) as (base, _):
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
        page = context.new_page()
        _open(page, base, slider)
        dom, frame, wrong = client.measure(page, slider, 4)
        assert not wrong, wrong
        assert page.evaluate("() => window.__states") == []  # no script rerun
        print(f"{slider.page}: input -> DOM change {statistics.median(dom):.1f} ms (median of 4)")


def main() -> None:
    from playwright.sync_api import sync_playwright

    shots = Path(sys.argv[sys.argv.index("--shots") + 1]) if "--shots" in sys.argv else None
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        url, token = _learner(Path(tmp))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        with app_server(url) as (base, _):
            for width in (1280, 390):
                context = browser.new_context(viewport={"width": width, "height": 1000})
                context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
                page = context.new_page()
                for s in SLIDERS:
                    _open(page, base, s)
                    dom, frame, wrong = client.measure(page, s, 8 if width == 1280 else 2)
                    print(f"{width}px {s.page:16} {s.label:28} DOM {statistics.median(dom):6.1f} ms, frame "
                          f"{statistics.median(frame):6.1f} ms (worst {max(frame):.1f}); reruns "
                          f"{len(page.evaluate('() => window.__states'))}; wrong {wrong}", flush=True)
                    if shots:
                        shots.mkdir(parents=True, exist_ok=True)
                        chart = page.get_by_test_id("stVegaLiteChart").filter(
                            has=page.locator(".vega-bind-name", has_text=s.label)).first
                        chart.screenshot(path=str(shots / f"{s.page}-{width}.png"))
                context.close()
        browser.close()


if __name__ == "__main__":
    main()

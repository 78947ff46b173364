"""A client-side chart in the real browser: moving its slider redraws without a script rerun, and the numbers Vega
draws are the server-side reference's (the cheat sheet's temperature example; no torch, so the page is quick).
`python -m tests.e2e.measure_client_sliders` measures every such slider."""

import statistics

import pytest

from core.cohort import store
from core.ui.state import COOKIE
from tests.e2e import measure_client_sliders as client
from tests.e2e.server import app_server, chromium_missing, wait_idle

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(missing is not None, reason=missing or "")]


def test_temperature_slider_redraws_in_the_browser_with_the_reference_numbers(browser, tmp_path):
    [slider] = [s for s in client.SLIDERS if s.page == "d_cheatsheets"]
    url = f"sqlite:///{tmp_path / 'course.db'}"
    db = store.open_store(url)
    _, token = db.create_learner("Ada")
    db.engine.dispose()
    with app_server(url) as (base, _):
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/{slider.page}")
        page.get_by_test_id("stVegaLiteChart").first.wait_for(state="attached", timeout=60_000)
        wait_idle(page)
        page.get_by_role("tab", name=slider.tab).click()
        page.evaluate(client.WATCH)
        dom, frame, wrong = client.measure(page, slider, 6)
        assert not wrong, wrong
        assert page.evaluate("() => window.__states") == []  # no script rerun
        print(f"input -> DOM change {statistics.median(dom):.1f} ms, -> painted frame {statistics.median(frame):.1f} "
              f"ms (median of 6)")

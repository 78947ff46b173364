"""A real browser reloads the instant its new account exists, before the cookie script can have run."""

import time

import pytest

from core.cohort import store
from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, app_server, chromium_missing, wait_idle

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(missing is not None, reason=missing or "")]


def test_a_reload_the_moment_the_account_exists_keeps_the_new_learner(tmp_path):
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'course.db'}"
    with app_server(url) as (base, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_context(viewport={"width": 500, "height": 900}).new_page()
        page.goto(base)
        wait_idle(page)
        main = page.get_by_test_id("stMainBlockContainer")
        main.get_by_label("Display name").fill("Quick Reloader")
        main.get_by_role("button", name="Start learning").click()
        db = store.open_store(url)
        deadline = time.monotonic() + 30
        while not db.cohort_overview()[0]:  # poll until the sign-up has been stored
            assert time.monotonic() < deadline
            time.sleep(0.005)
        page.reload()  # at once: the page has not had time to run the cookie script
        wait_idle(page)
        assert page.get_by_test_id("stSidebar").get_by_text("Quick Reloader").count() == 1
        # The cookie is written by the page's script after it has drawn: wait_idle can return just before
        # (the full run at d453b42 read the cookies too early once).
        deadline = time.monotonic() + 20
        while "rnn_course_learner" not in {c["name"] for c in page.context.cookies()}:
            assert time.monotonic() < deadline, "no learner cookie 20 s after the reload"
            time.sleep(0.1)
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["rnn_course_learner"]["sameSite"] == "Strict"
        browser.close()

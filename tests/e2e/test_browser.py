"""Real-browser tests: cold-start deep links go through the learner gate; path choice survives a reload."""

import pytest

from tests.e2e.server import app_server, chromium_missing, sign_in, wait_idle

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(missing is not None, reason=missing or "")]


def test_deep_link_as_first_request_still_goes_through_the_learner_gate(browser, tmp_path):
    with app_server(f"sqlite:///{tmp_path / 'course.db'}") as (base, _):
        page = browser.new_page()
        page.goto(f"{base}/m04_char_lm")  # the very first request this server sees
        wait_idle(page)
        main = page.get_by_test_id("stMainBlockContainer")
        assert main.get_by_text("Say who you are first").is_visible()
        assert main.get_by_text("The 5-minute TL;DR").count() == 0  # the lesson is behind the gate
        assert page.locator("[data-testid='stSidebarNav']").count() == 0  # no raw list of page files
        sign_in(page, "Deep Linker")
        assert main.get_by_role("heading", name="Module 4").first.is_visible()
        sidebar = page.get_by_test_id("stSidebar")
        assert sidebar.get_by_text("Deep Linker").is_visible()
        assert sidebar.get_by_role("link", name="Module").count() == 0  # our links use the course labels
        assert sidebar.get_by_role("link").filter(has_text="not on your path").count() == 0  # no path yet


def test_path_choice_and_next_step_survive_a_reload(browser, tmp_path):
    with app_server(f"sqlite:///{tmp_path / 'course.db'}") as (base, _):
        page = browser.new_page()
        page.goto(base)
        wait_idle(page)
        sign_in(page, "Casey")
        main = page.get_by_test_id("stMainBlockContainer")
        main.get_by_role("button", name="Follow path C").click()
        wait_idle(page)
        main.get_by_text("Your path: C").wait_for(timeout=30_000)  # waits: a rerun may still be drawing it
        main.get_by_role("link", name="Next step").click()
        wait_idle(page)
        main.get_by_role("heading", name="Module 0").first.wait_for(timeout=30_000)
        assert "m00_why_this_matters" in page.url

        page.reload()  # a new Streamlit session: identity comes back from the cookie, path from the store
        wait_idle(page)
        main = page.get_by_test_id("stMainBlockContainer")
        main.get_by_role("heading", name="Module 0").first.wait_for(timeout=30_000)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Path C").wait_for(timeout=30_000)
        sidebar.get_by_text("Casey").wait_for(timeout=30_000)
        # Modules off path C are still reachable, but marked
        sidebar.get_by_text("Not on your path", exact=True).click()
        off_path = sidebar.get_by_role("link").filter(has_text="not on your path")
        off_path.last.wait_for(state="visible", timeout=30_000)
        assert off_path.count() == 6


def test_a_learner_deep_linking_to_the_instructor_page_first_is_refused(browser, tmp_path):
    with app_server(f"sqlite:///{tmp_path / 'course.db'}") as (base, _):
        page = browser.new_page()
        page.goto(f"{base}/instructor")  # the very first request this server sees
        wait_idle(page)
        main = page.get_by_test_id("stMainBlockContainer")
        assert main.get_by_text("Say who you are first").is_visible()
        sign_in(page, "Curious Learner")
        assert main.get_by_role("heading", name="Instructors only").is_visible()
        assert main.get_by_text("Progress by learner").count() == 0
        assert page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text="Instructor").count() == 0

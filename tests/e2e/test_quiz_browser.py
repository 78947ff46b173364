"""The drag-and-drop sequence sorter works in a real browser: what the learner drops reaches the grader."""

import time

import pytest

from core.assessment import quiz
from tests.e2e.server import app_server, chromium_missing, sign_in, wait_idle

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.skipif(missing is not None, reason=missing or "")]
SORTABLE = "iframe[title='streamlit_sortables.sortable_items']"


def drag(page, frame, item: str, box_index: int) -> None:
    """Press on the item, move onto the target box (re-measured mid-drag, since boxes shift), release."""
    src = frame.locator(".sortable-item", has_text=item).bounding_box()
    page.mouse.move(src["x"] + 20, src["y"] + src["height"] / 2)
    page.mouse.down()
    page.mouse.move(src["x"] + 25, src["y"] + src["height"] / 2 + 5, steps=5)
    for steps in (25, 10):
        dst = frame.locator(".sortable-container").nth(box_index).bounding_box()
        page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + dst["height"] / 2, steps=steps)
        time.sleep(0.3)
    page.mouse.up()
    time.sleep(1.0)
    wait_idle(page)


def test_sequence_sorter_drops_reach_the_grader(browser, tmp_path):
    sorter = quiz.load_quiz("m01").question("sequence-sorter")
    with app_server(f"sqlite:///{tmp_path / 'course.db'}") as (base, _):
        page = browser.new_page(viewport={"width": 1300, "height": 1400})
        page.goto(f"{base}/m01_sequences")
        wait_idle(page)
        main = page.get_by_test_id("stMainBlockContainer")
        sign_in(page, "Sorter")
        frame = page.frame_locator(SORTABLE).first
        frame.locator(".sortable-item").first.wait_for(timeout=30_000)
        page.locator(SORTABLE).first.scroll_into_view_if_needed()
        headers = [h.strip() for h in frame.locator(".sortable-container-header").all_inner_texts()]
        for item, box in sorter.answer.items():
            for _ in range(3):  # a drop can land one box off while the layout moves; a person would retry too
                drag(page, frame, item, headers.index(box))
                boxes = frame.locator(".sortable-container").all_inner_texts()
                if item in boxes[headers.index(box)]:
                    break
            assert item in frame.locator(".sortable-container").nth(headers.index(box)).inner_text()
        main.get_by_role("button", name="Check my answers").click()
        wait_idle(page)  # can return before the rerun has even started (it failed so once under load): wait for it
        main.locator("[data-testid='stAlert']").filter(has_text="still open").first.wait_for(timeout=60_000)
        alerts = " ".join(main.locator("[data-testid='stAlert']").all_inner_texts())
        assert "still open: 1, 2, 3, 5, 6" in alerts, alerts  # question 4, the sorter, counts as answered

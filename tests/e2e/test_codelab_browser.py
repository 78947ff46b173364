"""Real browser: type into the Ace editor of the module 2 lab (Enter starts a new line instead of taking an
autocompletion, and underscores are drawn), type a solution, run the hidden tests, see them pass; then switch to
live mode and see a mistake graded while typing."""

import io

import pytest
from PIL import Image

from core.labs import exercises
from tests.e2e.server import app_server, chromium_missing, sign_in, wait_idle

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(missing is not None, reason=missing or "")]

BODY = "    return np.tanh(W_xh @ x + W_hh @ h_prev + b_h)\n"


def test_typing_into_the_ace_editor_and_running_the_tests(browser, tmp_path):
    with app_server(f"sqlite:///{tmp_path / 'course.db'}") as (base, _):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/m02_rnn")
        wait_idle(page)
        main = page.get_by_test_id("stMainBlockContainer")
        sign_in(page, "Typist")
        wait_idle(page, 120_000)

        spec = exercises.get("rnn_step")
        prediction = main.get_by_text(spec.predict.options[spec.predict.answer], exact=True)
        prediction.wait_for(timeout=120_000)  # the page below the sign-in can take a while on a busy machine
        prediction.click()
        wait_idle(page)
        main.get_by_role("button", name="Check my prediction").click()
        wait_idle(page)

        editor = page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first
        editor.locator(".ace_content").click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        # Typed key by key, as a learner does: Enter must end the line, not accept a completion ("as numpy")
        page.keyboard.type("import numpy as np", delay=40)
        page.keyboard.press("Enter")
        page.keyboard.type("W_xh = np.zeros(3)", delay=40)
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
        text = editor.locator(".ace_editor").first.evaluate("e => e.env.editor.getValue()")
        assert text.startswith("import numpy as np\nW_xh = np.zeros(3)\n"), text
        assert _underscore_is_drawn(page, editor), "the editor hides the underscore of W_xh"

        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text("import numpy as np\n\ndef rnn_step(x, h_prev, W_xh, W_hh, b_h):\n" + BODY)
        page.wait_for_timeout(800)  # the editor sends its text ~200 ms after typing pauses
        wait_idle(page)
        main.get_by_role("button", name="Run tests").click()
        main.get_by_text("All tests pass").wait_for(timeout=60_000)
        wait_idle(page)
        main.get_by_text("in a fresh sandbox", exact=False).first.wait_for(timeout=10_000)
        assert main.get_by_text("returns the new state", exact=False).first.is_visible()

        # Live mode: the tests re-run once typing pauses, without pressing Run
        main.get_by_text("Re-run as I type").click()
        wait_idle(page)
        editor.locator(".ace_content").click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text("import numpy as np\n\ndef rnn_step(x, h_prev, W_xh, W_hh, b_h):\n"
                                  "    return W_xh @ x + W_hh @ h_prev + b_h\n")
        main.get_by_text("apply np.tanh", exact=False).first.wait_for(timeout=30_000)


def _underscore_is_drawn(page, editor) -> bool:
    """Screenshot the character cell of the "_" in `W_xh` (its line's full height) and look for ink in it."""
    token = editor.get_by_text("W_xh", exact=True).first
    line = editor.locator(".ace_line", has=token).first
    cell = editor.locator(".ace_editor").first.evaluate("e => e.env.editor.renderer.characterWidth")
    box, row = token.bounding_box(), line.bounding_box()
    shot = page.screenshot(clip={"x": box["x"] + cell, "y": row["y"], "width": cell, "height": row["height"]})
    image = Image.open(io.BytesIO(shot)).convert("L")
    return image.getextrema()[0] < 140


def test_the_editor_loads_after_the_background_warm_up_imported_it(browser, tmp_path):
    """The warm-up thread imports core.ui.codelab (and so streamlit_ace) outside any script run, where
    declare_component does not register the component: every editor of that process then got a 404 ("trouble
    loading streamlit_ace"). Wait for the warm-up to finish first, then open the lab."""
    import threading
    import time

    with app_server(f"sqlite:///{tmp_path / 'course.db'}") as (base, proc):
        warmed = threading.Event()

        def watch() -> None:
            for line in iter(proc.stdout.readline, b""):
                if b"warm-up done" in line:
                    warmed.set()

        threading.Thread(target=watch, daemon=True).start()
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base)  # Home starts the warm-up
        wait_idle(page)
        sign_in(page, "Latecomer")
        assert warmed.wait(180), "the warm-up did not finish"
        time.sleep(0.5)
        page.goto(f"{base}/m02_rnn")
        wait_idle(page, 120_000)
        main = page.get_by_test_id("stMainBlockContainer")
        spec = exercises.get("rnn_step")
        prediction = main.get_by_text(spec.predict.options[spec.predict.answer], exact=True)
        prediction.wait_for(timeout=120_000)
        prediction.click()
        wait_idle(page)
        main.get_by_role("button", name="Check my prediction").click()
        wait_idle(page)
        editor = page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first
        editor.locator(".ace_content").first.wait_for(timeout=60_000)
        assert not page.get_by_text("trouble loading", exact=False).count()

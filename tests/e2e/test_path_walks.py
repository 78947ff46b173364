"""Each learning path walked in Chromium the way a learner would, from sign-up to "path finished" on Home:
pick the path, open each step from the sidebar in order, tick its sections, pass its module quiz with the keys in
assets/quizzes (clicked by their text), run its code labs where the path asks (B: passed, D: attempted; the lab's
reference solution typed into the editor), and screenshot every page at 1280 and 390 px.

Screenshots (each page as first opened; set RNN_COURSE_WALK_SHOTS_AFTER=1 for the page after its quiz and labs
too) go to $RNN_COURSE_WALK_SHOTS/<path>/ (default: a temporary folder, printed). As a script:

    .venv/bin/python -m tests.e2e.test_path_walks C A     # walks paths C then A, prints problems and the folder
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, app_server, chromium_missing
from tests.e2e.walk import DESKTOP, Walk

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.skipif(missing is not None, reason=missing or "")]


def shots_folder(path_key: str) -> Path | None:
    """Where the screenshots go; RNN_COURSE_WALK_SHOTS=none takes none (faster)."""
    root = os.environ.get("RNN_COURSE_WALK_SHOTS") or tempfile.mkdtemp(prefix="walk-shots-")
    return None if root == "none" else Path(root) / path_key


TRAIN_SECONDS = "RNN_COURSE_TRAIN_SECONDS"


def walk(browser, db_url: str, path_key: str) -> Walk:
    before = os.environ.get(TRAIN_SECONDS)
    os.environ[TRAIN_SECONDS] = before or "10"  # path C trains a model of its own: keep it short
    try:
        server = app_server(db_url)
        base, _ = server.__enter__()
    finally:  # the server has read it; later tests see the environment as it was
        if before is None:
            os.environ.pop(TRAIN_SECONDS)
    try:
        context = browser.new_context(viewport={"width": DESKTOP, "height": 1000})  # screenshots open a 2nd tab
        page = context.new_page()
        page.set_default_timeout(60_000)
        w = Walk(page, base, path_key, shots=shots_folder(path_key))
        w.note(f"screenshots: {w.shots}")
        w.finished = w.run(f"Walker {path_key}")
        context.close()
    finally:
        server.__exit__(None, None, None)
    return w


@pytest.mark.parametrize("path_key", ["A", "B", "C", "D"])
def test_a_learner_walks_the_path_to_the_end(browser, tmp_path, path_key):
    w = walk(browser, f"sqlite:///{tmp_path / 'course.db'}", path_key)
    assert w.finished and not w.problems, "\n".join(w.problems)


if __name__ == "__main__":
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        for key in sys.argv[1:] or ["A", "B", "C", "D"]:
            result = walk(chromium, f"sqlite:///{Path(tempfile.mkdtemp()) / 'course.db'}", key)
            print(f"\n== path {key}: {'finished' if result.finished else 'NOT finished'}, "
                  f"{len(result.problems)} problem(s); screenshots in {result.shots}")
            for p in result.problems:
                print(" -", p)
        chromium.close()

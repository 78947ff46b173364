"""Measure the app as a learner meets it: cold start, warm page switches, server memory.

    python -m tests.e2e.measure [--runs 3]

Cold start = server process started -> Home fully rendered for a returning learner in Chromium (browser already
open). Page switch = click a sidebar link -> the new page's title visible and the script finished.
Switches are timed twice: the first pass loads models and fills caches, the second (reported as switch_s) is
warm. RSS = the server's resident memory right after Home rendered (no model loaded), and after every page.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from core.cohort import store
from core.ui.state import COOKIE
from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, app_server, wait_idle

# sidebar link text -> text that only the target page shows
SWITCHES = [("3 · ", "Module 3 ·"), ("4 · ", "Module 4 ·"), ("0 · ", "Module 0 ·"), ("Glossary", "Search the glossary"),
            ("1 · ", "Module 1 ·"), ("Home", "Your path: B")]


def one_run(browser, workdir: Path) -> dict:
    url = f"sqlite:///{workdir / 'course.db'}"
    db = store.open_store(url)
    learner, token = db.create_learner("Timer")
    db.set_path(learner.id, "B")
    db.engine.dispose()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    t0 = time.perf_counter()
    with app_server(url) as (base, proc):
        context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
        page = context.new_page()
        page.goto(base)
        page.get_by_text("Your path: B").wait_for(timeout=60_000)
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
        wait_idle(page)
        cold = time.perf_counter() - t0
        server = psutil.Process(proc.pid)
        rss_home = server.memory_info().rss / 2**20
        torch_at_home = any("torch/lib" in m.path for m in server.memory_maps())
        sidebar = page.get_by_test_id("stSidebar")
        main = page.get_by_test_id("stMainBlockContainer")
        passes = []
        for _ in range(2):  # the first pass loads models and fills caches; the second is the warm one
            switches = []
            for label, marker in SWITCHES:
                t1 = time.perf_counter()
                sidebar.get_by_role("link").filter(has_text=label).first.click()
                main.get_by_text(marker).first.wait_for(timeout=60_000)
                wait_idle(page)
                switches.append(time.perf_counter() - t1)
            passes.append(switches)
        rss_all = server.memory_info().rss / 2**20
    context.close()
    return {"cold_s": cold, "first_switch_s": statistics.median(passes[0]), "switch_s": statistics.median(passes[1]),
            "slowest_warm_switch_s": max(passes[1]), "rss_mb": rss_home, "torch_loaded_at_home": torch_at_home,
            "rss_after_all_pages_mb": rss_all}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                results.append(one_run(browser, Path(tmp)))
                print({k: round(v, 3) if isinstance(v, float) else v for k, v in results[-1].items()}, flush=True)
        browser.close()
    for key in ("cold_s", "first_switch_s", "switch_s", "slowest_warm_switch_s", "rss_mb", "rss_after_all_pages_mb"):
        values = [r[key] for r in results]
        print(f"{key}: median {statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f}, "
              f"n={len(values)})")


if __name__ == "__main__":
    main()

"""Measure the app as a learner meets it: cold start, warm page switches, server memory.

    python -m tests.e2e.measure [--runs 3] [--cold-only] [--with-scores]

Cold start = server process started -> Home fully rendered for a returning learner in Chromium (browser already
open), with its parts: healthy_s (the server answers /healthz), loaded_s (the page's load event: Streamlit's
frontend fetched) and chart_s (Home's first chart drawn). `--cold-only` skips the page switches; `--with-scores`
gives the learner two module quiz scores first (Home then shows them in a table, which imports pandas).
Page switch = click a sidebar link -> the new page's title visible and the script finished.
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


def one_run(browser, workdir: Path, switch: bool = True, scores: bool = False) -> dict:
    url = f"sqlite:///{workdir / 'course.db'}"
    db = store.open_store(url)
    learner, token = db.create_learner("Timer")
    db.set_path(learner.id, "B")
    if scores:
        db.record_quiz_score(learner.id, "m00", 5, 6)
        db.record_quiz_score(learner.id, "m01", 3, 6)
    db.engine.dispose()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    t0 = time.perf_counter()
    with app_server(url) as (base, proc):
        healthy = time.perf_counter() - t0
        context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
        page = context.new_page()
        page.goto(base)
        loaded = time.perf_counter() - t0
        page.get_by_text("Your path: B").wait_for(timeout=60_000)
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
        chart = time.perf_counter() - t0
        wait_idle(page)
        cold = time.perf_counter() - t0
        server = psutil.Process(proc.pid)
        rss_home = server.memory_info().rss / 2**20
        torch_at_home = any("torch/lib" in m.path for m in server.memory_maps())
        sidebar = page.get_by_test_id("stSidebar")
        main = page.get_by_test_id("stMainBlockContainer")
        times = {"cold_s": cold, "healthy_s": healthy, "loaded_s": loaded, "chart_s": chart, "rss_mb": rss_home,
                 "torch_loaded_at_home": torch_at_home}
        passes = []
        for _ in range(2 if switch else 0):  # the first pass loads models and fills caches; the second is warm
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
    if not switch:
        return times
    return {**times, "first_switch_s": statistics.median(passes[0]), "switch_s": statistics.median(passes[1]),
            "slowest_warm_switch_s": max(passes[1]), "rss_after_all_pages_mb": rss_all}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-only", action="store_true", help="measure the cold start only (no page switches)")
    parser.add_argument("--with-scores", action="store_true", help="the learner has quiz scores (a table on Home)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                results.append(one_run(browser, Path(tmp), switch=not args.cold_only, scores=args.with_scores))
                print({k: round(v, 3) if isinstance(v, float) else v for k, v in results[-1].items()}, flush=True)
        browser.close()
    for key in ("cold_s", "healthy_s", "loaded_s", "chart_s", "first_switch_s", "switch_s", "slowest_warm_switch_s",
                "rss_mb", "rss_after_all_pages_mb"):
        values = [r[key] for r in results if key in r]
        if not values:
            continue
        print(f"{key}: median {statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f}, "
              f"n={len(values)})")


if __name__ == "__main__":
    main()

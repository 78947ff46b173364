"""Measure what the first learner after a server start waits for: server start -> Home rendered (cold start), then,
after reading Home for `--read` seconds, a sidebar click -> Module 3 (then Module 4) finished. The background
warm-up (core/ui/warmup.py, started by course_page) should have loaded torch and the models by then.

    python -m tests.e2e.measure_first_visit [--runs 2] [--read 8]
    python -m tests.e2e.measure_first_visit --each [--read 8]   # every module page as the first one visited

Reports the median and the worst over `--runs` fresh servers, and the server's RSS after Home and at the end.
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

VISITS = [("3 · ", "Module 3 ·"), ("4 · ", "Module 4 ·")]  # sidebar link text -> text only that page shows


def _rss_mb(proc) -> float:
    p = psutil.Process(proc.pid)
    return sum(c.memory_info().rss for c in [p, *p.children(recursive=True)]) / 2**20


def one_run(browser, workdir: Path, read_s: float, visits=VISITS) -> dict:
    url = f"sqlite:///{workdir / 'course.db'}"
    db = store.open_store(url)
    learner, token = db.create_learner("Timer")
    db.set_path(learner.id, "B")
    db.engine.dispose()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    t0 = time.perf_counter()
    out: dict[str, float] = {}
    with app_server(url) as (base, proc):
        context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
        page = context.new_page()
        page.goto(base)
        page.get_by_text("Your progress").first.wait_for(timeout=120_000)
        wait_idle(page, 120_000)
        out["cold_s"] = time.perf_counter() - t0
        out["rss_home_mb"] = _rss_mb(proc)
        time.sleep(read_s)  # the learner reads Home; the warm-up runs meanwhile
        sidebar, main = page.get_by_test_id("stSidebar"), page.get_by_test_id("stMainBlockContainer")
        for label, marker in visits:
            t1 = time.perf_counter()
            sidebar.get_by_role("link").filter(has_text=label).first.click()
            main.get_by_text(marker).first.wait_for(timeout=120_000)
            wait_idle(page, 120_000)
            out[f"first {marker.split(' ·')[0]}_s"] = time.perf_counter() - t1
        out["rss_end_mb"] = _rss_mb(proc)
    context.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--read", type=float, default=8.0, help="seconds spent on Home before the first click")
    parser.add_argument("--each", action="store_true",
                        help="one fresh server per module page (0-10), that page visited first; --runs rounds of it")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    plans = [[(f"{n} · ", f"Module {n} ·")] for n in range(11)] if args.each else [VISITS]
    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(args.runs):
            for visits in plans:
                with tempfile.TemporaryDirectory() as tmp:
                    runs.append(one_run(browser, Path(tmp), args.read, visits))
                    print({k: round(v, 2) for k, v in runs[-1].items()}, flush=True)
        browser.close()
    for key in dict.fromkeys(k for r in runs for k in r):
        values = [r[key] for r in runs if key in r]
        print(f"{key:22} median {statistics.median(values):7.2f}  worst {max(values):7.2f}  (n={len(values)})")


if __name__ == "__main__":
    main()

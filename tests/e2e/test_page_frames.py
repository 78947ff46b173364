"""Every page, as a new learner, in Chromium at 1280 and 390 px: each Vega-Lite chart's drawn frame holds its
content (nothing clipped), and no LaTeX fails to render (KaTeX errors, raw `$$` or `\\frac` left in the text).

Expanders are opened and tabs visited before measuring; charts behind buttons are not drawn and not measured.
How a chart is measured: tests/e2e/frames.py (visible marks' on-screen boxes against the svg's frame).

As a script, a table of every chart and its sizes (and every LaTeX problem):

    .venv/bin/python -m tests.e2e.test_page_frames [--width 1280] [PAGE ...]   # PAGE: Home or a pages/*.py stem
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pytest

from tests.e2e import frames
from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, ROOT, app_server, chromium_missing, sign_in, wait_idle

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.skipif(missing is not None, reason=missing or "")]

PAGES = ["Home", *sorted(p.stem for p in (ROOT / "pages").glob("*.py"))]
WIDTHS = (1280, 390)


def survey(browser, base: str, width: int, pages: list[str] = PAGES, name: str = "Frame Checker"):
    """Visit `pages` as one new learner; yields (page, charts, latex problems, exceptions shown) per page."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(base)
    wait_idle(page)
    sign_in(page, name)
    for stem in pages:
        page.goto(base if stem == "Home" else f"{base}/{stem}")
        frames.settle(page)
        charts, tex = frames.measure_page(page)
        exceptions = [e.inner_text()[:300] for e in page.get_by_test_id("stException").all()]
        yield stem, charts, tex, exceptions
    page.close()


def failures(results) -> list[str]:
    found = []
    for stem, charts, tex, exceptions in results:
        found += [f"{stem}: {frames.describe(c)}" for c in charts if frames.clipped(c) or frames.names_hidden(c)]
        found += [f"{stem}: KaTeX error: {e}" for e in tex["errors"]]
        found += [f"{stem}: raw LaTeX in the text: {t!r}" for t in tex["raw"]]
        found += [f"{stem}: exception: {e}" for e in exceptions]
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_every_chart_holds_its_content_and_every_formula_renders(browser, tmp_path, width):
    with app_server(f"sqlite:///{tmp_path / 'course.db'}") as (base, _):
        results = list(survey(browser, base, width))
    assert sum(len(r[1]) for r in results) > 20  # the survey really saw the course's charts
    found = failures(results)
    assert not found, f"{len(found)} problem(s) at {width} px:\n" + "\n".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=PAGES)
    parser.add_argument("--width", type=int, action="append", help="viewport width(s); default 1280 and 390")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    db = Path(tempfile.mkdtemp()) / "course.db"
    problems = []
    with app_server(f"sqlite:///{db}") as (base, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        for width in args.width or WIDTHS:
            print(f"\n== {width} px ==")
            print(f"{'page':<22} {'#':>2} {'frame':>9} {'content':>9} {'overflow l/r/t/b':>18}  ok  "
                  f"{'hidden labels':>13}  title")
            for result in survey(browser, base, width, args.pages):
                stem, charts, tex, exceptions = result
                for c in charts:
                    over = c.get("over") or {}
                    sides = "/".join(str(over.get(k, "")) for k in ("left", "right", "top", "bottom"))
                    print(f"{stem:<22} {c['index']:>2} {c['frame_w']:>4}x{c['frame_h']:<4} "
                          f"{c.get('content_w', 0):>4}x{c.get('content_h', 0):<4} {sides:>18}  "
                          f"{'NO' if frames.clipped(c) else 'ok':>2}  "
                          f"{c.get('labels_hidden', 0):>5}/{c.get('labels_total', 0):<7}  {c.get('title', '')[:60]}",
                          flush=True)
                problems += [f"{width}px {p}" for p in failures([result])]
        browser.close()
    print(f"\n{len(problems)} problem(s)")
    for p in problems:
        print(" -", p)


if __name__ == "__main__":
    main()

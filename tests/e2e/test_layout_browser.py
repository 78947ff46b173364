"""Real browser, phone (390 px) and desktop widths: sidebar labels are never cut, the page never scrolls sideways,
display equations and Markdown tables wider than the column scroll inside their own box, and a data table says it
scrolls exactly when its columns overflow (the CSS is core.ui.shell.PAGE_CSS); tables of sentences (st.table) wrap to
fit the column."""

import pytest

from tests.e2e.server import app_server, chromium_missing, sign_in, wait_idle

missing = chromium_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.skipif(missing is not None, reason=missing or "")]

MEASURE = """() => {
  const frame = '[data-testid=stElementContainer]:has(> [data-testid=stFullScreenFrame] [data-testid=stDataFrame])';
  return {
    sideways: Math.max(...[document.documentElement, document.querySelector('[data-testid=stMain]')]
      .map(e => e.scrollWidth - e.clientWidth)),
    labels: [...document.querySelectorAll('[data-testid=stSidebar] [data-testid=stPageLink-NavLink] p')]
      .map(p => [p.innerText, p.scrollWidth - p.clientWidth]),
    tables: [...document.querySelectorAll(frame)].map(c => {
      const grid = c.querySelector('.dvn-scroller');
      return [grid ? grid.scrollWidth - grid.clientWidth : 0, parseFloat(getComputedStyle(c, '::after').fontSize)];
    }),
    static: [...document.querySelectorAll('[data-testid=stTable]')].map(t => {
      const table = t.querySelector('table');
      return table.getBoundingClientRect().right - t.getBoundingClientRect().right;
    }),
    boxes: [...document.querySelectorAll('[data-testid=stMarkdownContainer] .katex-display, '
                                         + '[data-testid=stMarkdownContainer] table')]
      .filter(e => e.scrollWidth > e.clientWidth + 2).map(e => getComputedStyle(e).overflowX),
  };
}"""


def _measure(page, base: str, name: str) -> dict:
    page.goto(f"{base}/{name}")
    wait_idle(page, 180_000)
    page.get_by_test_id("stMainBlockContainer").get_by_role("heading", name="Module").first.wait_for(timeout=120_000)
    page.wait_for_timeout(2000)
    wait_idle(page, 180_000)
    return page.evaluate(MEASURE)


@pytest.mark.timeout(900)
def test_phone_and_desktop_layouts_wrap_or_say_they_scroll(browser, tmp_path):
    with app_server(f"sqlite:///{tmp_path / 'course.db'}") as (base, _):
        desk = browser.new_page(viewport={"width": 1280, "height": 900})
        desk.goto(base)
        wait_idle(desk)
        sign_in(desk, "Wide")
        m00 = _measure(desk, base, "m00_why_this_matters")
        assert m00["labels"] and all(cut <= 0 for _, cut in m00["labels"]), m00["labels"]

        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(base)
        wait_idle(phone)
        sign_in(phone, "Narrow")
        boxes = 0
        for name in ("m00_why_this_matters", "m02_rnn", "m03_lstm", "m04_char_lm", "m07_attention"):
            seen = _measure(phone, base, name)
            assert seen["sideways"] <= 0, f"{name}: the page scrolls sideways at 390 px"
            assert seen["tables"] or seen["static"], name
            assert all(over <= 2 for over in seen["static"]), (name, "a wrapping table wider than the column", seen)
            for overflow, hint in seen["tables"]:
                assert (hint > 0) == (overflow > 0), (name, overflow, hint)
            assert all(o == "auto" for o in seen["boxes"]), (name, seen["boxes"])
            if name == "m00_why_this_matters":
                assert len(seen["static"]) >= 2, "m00's tables of sentences are static tables that wrap"
            boxes += len(seen["boxes"])
        assert boxes, "a display equation wider than a phone (m04's) scrolls inside its own box"

"""Measure the client-side charts in a real browser: for each slider that lives in a chart (a Vega-Lite parameter
bound to an input), the time from the input event to the chart's DOM change and to the next painted frame, and
check that (a) no script rerun happened (data-test-script-state stays notRunning) and (b) the numbers the browser
drew are the server-side reference's (core functions, written the way d3-format writes them).

    python -m tests.e2e.measure_client_sliders [--moves 8] [--shots /tmp/shots]

Each slider is moved `--moves` times (one step up, one step down, ...); the median and the worst are reported.
With --shots, each chart is photographed at desktop (1280 px) and phone (390 px) width.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.cohort import store
from core.course import cheatsheets
from core.lessons import analysis, attention_calc, hello
from core.ui.state import COOKIE
from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, app_server, wait_idle
from tests.ui.vega_eval import d3_format as js


@dataclass
class Slider:
    page: str
    label: str  # the bound input's name, as drawn under the chart
    start: float
    step: float
    expected: Callable[[float], str] | None = None  # the readout line the browser must draw at this value
    tab: str | None = None  # a tab to open first


def _cheat_tau(tau: float) -> str:
    c = cheatsheets.load()
    p = cheatsheets.softmax_with_temperature(c.example_logits, tau)
    return f"τ = {js(tau, '.2f')} · entropy {js(cheatsheets.entropy_bits(p), '.3f')} bits"


def _dist(tau: float) -> str:
    from core.ui.lessons import charlm_demos  # torch: only when the m04 slider is measured

    dist = charlm_demos.next_probs("shakespeare-lstm", charlm_demos.DEFAULT_PRIME.replace("\n", " "))
    q = max(hello.with_temperature([p for _, p in dist], tau))
    d = q - dist[0][1]
    delta = "±0.0%" if abs(d) < 0.0005 else js(d, "+.1%")
    return f"top character at τ = {js(tau, '.1f')}: {js(q, '.1%')} ({delta} vs τ = 1)"


def _p_true(p: float) -> str:
    nats = hello.cross_entropy(p)
    return f"p = {js(p, '.3f')}: loss = {js(nats, '.4f')} nats = {js(hello.bits(nats), '.4f')} bits"


def _avg_loss(loss: float) -> str:
    return f"perplexity = e^{js(loss, '.2f')} = {js(hello.perplexity(loss), '.3f')}"


def _power(w: float, n: int = 20) -> str:
    verdict = "vanishes" if w < 1 else "explodes" if w > 1 else "survives"
    return f"w^n = {js(w, '.2f')}^{n} = {js(w ** n, '.3g')}: {verdict}"


def _gates(f: float = 0.9, g: float = 0.8) -> str:
    run = analysis.gate_playground(f, 0.5, 1.0, g, steps=40)
    return f"c₄₀ = {js(run.c[-1], '.4f')} · h₄₀ = {js(run.h[-1], '.4f')}"


def _context(q1: float = 0.5, q2: float = 0.3) -> str:
    res = attention_calc.attend([q1, q2], attention_calc.EXAMPLE_KEYS, attention_calc.EXAMPLE_VALUES, scaled=False)
    return f"context c = ({js(res.context[0], '.4f')}, {js(res.context[1], '.4f')})"


SLIDERS = [
    Slider("d_cheatsheets", "Try your own temperature τ", 1.0, 0.05, _cheat_tau, tab="Temperature"),
    Slider("m03_lstm", "factor per step w", 0.9, 0.05, _power),
    Slider("m03_lstm", "steps n", 20, 1, lambda n: _power(0.9, round(n))),
    Slider("m03_lstm", "forget gate f", 0.9, 0.01, lambda f: _gates(f=f)),
    Slider("m03_lstm", "candidate g", 0.8, 0.05, lambda g: _gates(g=g)),
    Slider("m04_char_lm", "probability given to the true next character", 0.25, 0.001, _p_true),
    Slider("m04_char_lm", "average loss (nats per character)", 1.5, 0.05, _avg_loss),
    Slider("m04_char_lm", "τ for the next-character distribution", 1.0, 0.1, _dist),
    Slider("m07_attention", "query q₁", 0.5, 0.1, lambda q: _context(q1=q)),
    Slider("m07_attention", "query q₂", 0.3, 0.1, lambda q: _context(q2=q)),
]

WATCH = """() => {
  window.__states = [];
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => window.__states.push(app.getAttribute('data-test-script-state')))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""

# Set the range input as a drag would, then time: input event -> first DOM change inside the chart -> two frames.
MOVE = """([chart, input, value]) => new Promise((resolve, reject) => {
  let t0 = 0, t1 = 0;
  const obs = new MutationObserver(() => {
    if (t1) return;
    t1 = performance.now();
    obs.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => resolve([t1 - t0, performance.now() - t0])));
  });
  obs.observe(chart.querySelector('svg, canvas').parentElement,
              {subtree: true, childList: true, attributes: true, characterData: true});
  setTimeout(() => { if (!t1) { obs.disconnect(); reject(new Error('no redraw within 5 s')); } }, 5000);
  t0 = performance.now();
  input.value = String(value);
  input.dispatchEvent(new Event('input', {bubbles: true}));
})"""


def _texts(chart) -> list[str]:
    return chart.locator("svg text").all_text_contents()


def measure(page, s: Slider, moves: int) -> tuple[list[float], list[float], list[str]]:
    """(ms to DOM change, ms to painted frame, readout mismatches) for `moves` moves of one slider."""
    chart = page.get_by_test_id("stVegaLiteChart").filter(
        has=page.locator(".vega-bind-name", has_text=s.label)).first
    chart.scroll_into_view_if_needed()
    bind = chart.locator(".vega-bind").filter(has=page.locator(".vega-bind-name", has_text=s.label))
    handles = [chart.element_handle(), bind.locator("input").first.element_handle()]
    dom, frame, wrong = [], [], []
    for k in range(moves):
        value = round(s.start + (s.step if k % 2 == 0 else 0), 10)
        a, b = page.evaluate(MOVE, [*handles, value])
        dom.append(a)
        frame.append(b)
        if s.expected is not None:
            page.wait_for_timeout(30)
            want = s.expected(value)
            if want not in _texts(chart):
                wrong.append(f"{s.label} = {value}: expected {want!r}, drawn {[t for t in _texts(chart) if len(t) > 12]}")
    return dom, frame, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=8)
    parser.add_argument("--shots", type=Path, default=None)
    parser.add_argument("--only", default="", help="measure only the sliders on pages whose name contains this")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        url = f"sqlite:///{Path(tmp) / 'course.db'}"
        db = store.open_store(url)
        _, token = db.create_learner("Timer")
        db.engine.dispose()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        with app_server(url) as (base, _proc):
            print(f"{'page':14} {'slider':46} {'DOM ms':>7} {'frame ms':>8} {'worst':>6}  reruns")
            for width in ([1280, 390] if args.shots else [1280]):
                context = browser.new_context(viewport={"width": width, "height": 1000})
                context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
                page = context.new_page()
                for s in [s for s in SLIDERS if args.only in s.page]:
                    if not page.url.endswith(s.page):
                        page.goto(f"{base}/{s.page}")
                        page.get_by_test_id("stVegaLiteChart").first.wait_for(state="attached", timeout=180_000)
                        wait_idle(page, 180_000)
                    if s.tab:
                        page.get_by_role("tab", name=s.tab).click()
                    page.locator(".vega-bind-name", has_text=s.label).first.wait_for(timeout=60_000)
                    page.evaluate(WATCH)
                    dom, frame, wrong = measure(page, s, args.moves if width == 1280 else 2)
                    reruns = page.evaluate("() => window.__states")
                    problems += wrong + ([f"{s.label}: the page reran ({reruns})"] if reruns else [])
                    if width == 1280:
                        print(f"{s.page:14} {s.label:46} {statistics.median(dom):7.1f} {statistics.median(frame):8.1f} "
                              f"{max(frame):6.1f}  {len(reruns)}", flush=True)
                    if args.shots:
                        args.shots.mkdir(parents=True, exist_ok=True)
                        chart = page.get_by_test_id("stVegaLiteChart").filter(
                            has=page.locator(".vega-bind-name", has_text=s.label)).first
                        name = "".join(c if c.isalnum() else "-" for c in s.label)[:40]
                        chart.screenshot(path=str(args.shots / f"{s.page}-{name}-{width}.png"))
                context.close()
        browser.close()
    print("\n".join(problems) if problems else "every readout matched the server-side reference; no rerun")


if __name__ == "__main__":
    main()

"""Measure what the browser drew: each Vega-Lite chart's frame against its visible content, and LaTeX that
failed to render. Used by test_page_frames.py and test_path_walks.py (and as a script, see test_page_frames.py)."""

from __future__ import annotations

# Per `.vega-embed` chart: the frame is the <svg>'s on-screen box (Streamlit sizes its container to it); the
# content is the union of the on-screen boxes of every *painted* leaf mark (text with characters, shapes with a
# fill or a stroke, images), skipping anything hidden (display, visibility, opacity 0 on it or an ancestor). A
# chart is clipped when that union leaves the frame by more than a few px on any side. Vega's own bounding box
# (svg.getBBox) is not used: it counts invisible helpers (empty legend paths, zero-opacity hover layers).
CHARTS_JS = r"""
() => {
  const hidden = (el, stop) => {
    for (let p = el; p && p !== stop.parentElement; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return true;
    }
    return false;
  };
  const painted = (el) => {
    const tag = el.tagName.toLowerCase();
    if (tag === 'text') return (el.textContent || '').trim().length > 0;
    if (tag === 'image') return true;
    const s = getComputedStyle(el);
    const fill = s.fill && s.fill !== 'none' && parseFloat(s.fillOpacity) !== 0 && !s.fill.startsWith('rgba(0, 0, 0, 0)');
    const stroke = s.stroke && s.stroke !== 'none' && parseFloat(s.strokeOpacity) !== 0 && parseFloat(s.strokeWidth) > 0;
    return fill || stroke;
  };
  const out = [];
  document.querySelectorAll('.vega-embed').forEach((embed, index) => {
    const svg = embed.querySelector('svg');
    const canvas = embed.querySelector('canvas');
    const er = embed.getBoundingClientRect();
    const row = {index, visible: er.width > 0 && er.height > 0, renderer: svg ? 'svg' : (canvas ? 'canvas' : 'none'),
                 frame_w: Math.round(er.width), frame_h: Math.round(er.height)};
    const titleEl = svg && svg.querySelector('.role-title-text text, .role-title text');
    row.title = titleEl ? titleEl.textContent.trim() : (svg && svg.getAttribute('aria-label') || '').slice(0, 80);
    if (!svg || !row.visible) { out.push(row); return; }
    // The visible frame: the svg's box, cut by every ancestor that hides or scrolls its overflow, and by the
    // main column (a chart wider than the column is cut or scrolled sideways on a phone).
    const sr = svg.getBoundingClientRect();
    const fr = {left: sr.left, top: sr.top, right: sr.right, bottom: sr.bottom};
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    for (let p = svg.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      const q = p.getBoundingClientRect();
      if (s.overflowX !== 'visible' || p === main) { fr.left = Math.max(fr.left, q.left); fr.right = Math.min(fr.right, q.right); }
      if (s.overflowY !== 'visible' && p !== main) { fr.top = Math.max(fr.top, q.top); fr.bottom = Math.min(fr.bottom, q.bottom); }
      if (p === main) break;
    }
    row.frame_w = Math.round(fr.right - fr.left); row.frame_h = Math.round(fr.bottom - fr.top);
    row.svg_w = Math.round(sr.width); row.svg_h = Math.round(sr.height);
    // Category labels Vega hid because they overlapped (opacity 0): a plot squeezed too small for its rows or
    // columns. Only names on axes of a discrete scale count (Vega's ARIA label says so): thinning number ticks,
    // or the numbered slots of a grid (1, 3, 5, ...), is normal.
    row.labels_total = 0; row.labels_hidden = 0;
    svg.querySelectorAll('g[aria-roledescription="axis"]').forEach((axis) => {
      if (!/discrete scale/.test(axis.getAttribute('aria-label') || '')) return;
      const labels = [...axis.querySelectorAll('.role-axis-label text')]
        .filter(t => (t.textContent || '').trim() && !/^[\d.,\s]+$/.test(t.textContent.trim()));
      row.labels_total += labels.length;
      row.labels_hidden += labels.filter(t => t.getAttribute('opacity') === '0' || getComputedStyle(t).opacity === '0').length;
    });
    let l = Infinity, t = Infinity, r = -Infinity, b = -Infinity;
    const worst = {};
    svg.querySelectorAll('path, rect, text, line, circle, ellipse, polygon, polyline, image').forEach((el) => {
      if (el.closest('defs, clipPath') || !painted(el) || hidden(el, svg)) return;
      const q = el.getBoundingClientRect();
      if (q.width === 0 && q.height === 0) return;
      l = Math.min(l, q.left); t = Math.min(t, q.top); r = Math.max(r, q.right); b = Math.max(b, q.bottom);
      const over = Math.max(fr.left - q.left, q.right - fr.right, fr.top - q.top, q.bottom - fr.bottom);
      if (over > 0) {
        const g = el.closest('g[class*="role-"]');
        const role = g ? (g.getAttribute('class').match(/role-[\w-]+/) || ['?'])[0] : el.tagName;
        worst[role] = Math.max(worst[role] || 0, Math.round(over));
      }
    });
    if (l === Infinity) { row.content_w = 0; row.content_h = 0; out.push(row); return; }
    row.content_w = Math.round(r - l); row.content_h = Math.round(b - t);
    row.over = {left: Math.round(fr.left - l), right: Math.round(r - fr.right), top: Math.round(fr.top - t),
                bottom: Math.round(b - fr.bottom)};
    row.roles = worst;
    out.push(row);
  });
  return out;
}
"""

# LaTeX that did not render: KaTeX's error spans, and raw TeX left in the visible text of the main column.
LATEX_JS = r"""
() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]') || document.body;
  const errors = [...main.querySelectorAll('.katex-error')].map(e => (e.getAttribute('title') || e.textContent).slice(0, 160));
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => {
      const p = n.parentElement;
      if (!p || p.closest('.katex, pre, code, textarea, input, .stCode, [data-testid="stCode"], iframe, .ace_editor, .vega-embed')) return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    }});
  const raw = [];
  // TeX commands as they appear in formulas (with their argument), not prose about TeX such as "\begin/\end
  // pairs" (Module 5's LaTeX corpus), nor the glossary's plain-text notation such as h_{t-1}.
  const pattern = /\$\$|\\(frac|sum|sqrt|mathbf|mathrm|text|operatorname|hat|tilde|left|right|begin|prod)\s*[{(_^[]|\\(cdot|odot|sigma|alpha|theta|partial|tanh)\b/;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const s = n.textContent;
    const m = s.match(pattern);
    if (m) {
      const el = n.parentElement; const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) raw.push(s.slice(Math.max(0, m.index - 60), m.index + 80).trim());
    }
  }
  return {errors, raw};
}
"""

TOLERANCE_PX = 4  # anti-aliasing, stroke half-widths and Vega's own padding rounding


def clipped(row: dict, tol: int = TOLERANCE_PX) -> bool:
    """True when a measured chart's visible content leaves its frame by more than `tol` px on any side."""
    return bool(row.get("over")) and max(row["over"].values()) > tol


def names_hidden(row: dict) -> bool:
    """True when Vega hid category names of a chart because they overlapped (its plot is too small for them)."""
    return row.get("labels_hidden", 0) > 0


def expand_all(page, main=None) -> int:
    """Open every collapsed expander in the main column (charts inside are then drawn); returns how many.

    One script clicks them all: a page with an expander per flashcard would take minutes click by click."""
    opened = page.evaluate("""() => {
      const root = document.querySelector('[data-testid="stMainBlockContainer"]') || document;
      const closed = [...root.querySelectorAll('[data-testid="stExpander"] details:not([open]) > summary')];
      closed.forEach(s => s.click());
      return closed.length;
    }""")
    if opened:
        page.wait_for_timeout(300 + min(opened, 50) * 20)
    return opened


def measure_charts(page) -> list[dict]:
    return page.evaluate(CHARTS_JS)


def latex_problems(page) -> dict:
    return page.evaluate(LATEX_JS)


def describe(row: dict) -> str:
    over = row.get("over") or {}
    sides = ", ".join(f"{k} {v}px" for k, v in over.items() if v > TOLERANCE_PX)
    return (f"chart #{row['index']} '{row.get('title', '')}': frame {row['frame_w']}x{row['frame_h']} px, "
            f"content {row.get('content_w')}x{row.get('content_h')} px, overflows {sides or 'nothing'}"
            f" {row.get('roles') or ''}"
            + (f", {row['labels_hidden']} of {row['labels_total']} category names hidden by overlap"
               if names_hidden(row) else ""))


def settle(page, timeout: float = 180_000) -> None:
    """Wait until a page that was just opened has drawn: its title is there, no script runs, and the number of
    elements on it has stopped changing (wait_idle alone can return before the run has even started)."""
    from tests.e2e.server import wait_idle

    page.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for(timeout=timeout)
    wait_idle(page, timeout)
    last, stable = -1, 0
    for _ in range(60):  # at most ~30 s of drawing after the script finished
        count = page.evaluate("document.querySelectorAll('[data-testid=stMainBlockContainer] *').length")
        stable = stable + 1 if count == last else 0
        if stable >= 3:
            break
        last = count
        page.wait_for_timeout(500)
    wait_idle(page, timeout)


def _merge(seen: dict, rows: list[dict], where: str) -> None:
    for row in rows:
        if not row.get("visible") or row.get("renderer") != "svg":
            continue
        key = (row.get("title"), row["frame_w"], row["frame_h"], row.get("content_h"))
        seen.setdefault(key, {**row, "where": where})


def measure_page(page, open_tabs: bool = True) -> tuple[list[dict], dict]:
    """Every drawn chart on the current page (expanders opened; each tab visited) and its LaTeX problems."""
    main = page.get_by_test_id("stMainBlockContainer")
    if expand_all(page, main):
        page.wait_for_timeout(800)
    seen: dict = {}
    _merge(seen, measure_charts(page), "page")
    tex = latex_problems(page)
    if open_tabs:
        for i, tab in enumerate(main.get_by_role("tab").all()):
            try:
                if tab.get_attribute("aria-selected") == "true" or not tab.is_visible():
                    continue
                tab.click(timeout=5_000)
            except Exception:  # noqa: BLE001 - a tab that moved away while the page reran
                continue
            page.wait_for_timeout(600)
            if expand_all(page, main):
                page.wait_for_timeout(600)
            _merge(seen, measure_charts(page), f"tab {i}")
            more = latex_problems(page)
            tex = {k: list(dict.fromkeys(tex[k] + more[k])) for k in tex}
    rows = sorted(seen.values(), key=lambda r: r["index"])
    for n, row in enumerate(rows):
        row["index"] = n
    return rows, tex

"""Module 5 "Karpathy's cells, then ours": each interpretable cell of the 2015 post in a few words, then the closest
unit of our shipped models with its correlation, the chance level and a verdict (core.lessons.cells)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.course import lessons
from core.lessons import cells
from core.ui import guard, lesson
from core.ui.lessons import neurons as neurons_ui

MARK = {"reproduced": "**reproduced**", "partly": "**partly**", "not reproduced": "**not reproduced**",
        "not measurable here": "**not measurable here**", "not analysed": "**not analysed**"}


@st.cache_data(show_spinner=False, max_entries=4)
def _load(mtime: float) -> dict | None:
    return cells.load_results()


def cell_results() -> dict | None:
    """checkpoints/cells.json, parsed once per version of the file."""
    try:
        return _load(cells.RESULTS_PATH.stat().st_mtime)
    except OSError:
        return None


def _line(row: dict) -> str:
    if row["Pearson r"] is None:
        return f"- **{row['our model']}**, {row['our feature']}: {MARK[row['verdict']]}"
    return (f"- **{row['our model']}**, {row['our feature']}: {row['closest unit']}, r = {row['Pearson r']:+.2f} "
            f"(chance {row['chance |r|']:.2f}): {MARK[row['verdict']]}")


def _url_note(extra: dict | None) -> str | None:
    counts = (extra or {}).get("url_counts")
    if not counts:
        return None
    parts = [f"{c}: {n['train']} in training, {n['validation']} held out" for c, n in counts.items()]
    return "URLs in our corpora (`http://`, `https://`, `ftp://` or `www.`): " + "; ".join(parts) + "."


def summary(rows: list[dict]) -> dict[str, list[str]]:
    """Post cell title -> its best verdict over our candidates, grouped by verdict (best first)."""
    order = list(MARK)
    best: dict[str, str] = {}
    for r in rows:
        if r["post cell"] not in best or order.index(r["verdict"]) < order.index(best[r["post cell"]]):
            best[r["post cell"]] = r["verdict"]
    out: dict[str, list[str]] = {}
    for title, v in best.items():
        out.setdefault(v, []).append(title)
    return {v: out[v] for v in order if v in out}


def karpathy_cells(results: dict | None = None, extra: dict | None = None) -> None:
    """The post's cells, one short block each, with our closest units measured; then what we do not reproduce."""
    st.subheader("Karpathy's cells, then ours")
    results = results if results is not None else neurons_ui.shipped_results()
    extra = extra if extra is not None else cell_results()
    if not results or not results.get("models"):
        guard.not_installed("The neuron analysis (checkpoints/neurons.json)", "python -m core.lessons.neurons")
        return
    lesson.text("m05", "cells-intro")
    rows = cells.comparison(results, extra)
    for cell in cells.POST_CELLS:
        st.markdown(lessons.block("m05", f"cell-{cell.id}"))
        st.markdown("Our closest units:\n" + "\n".join(_line(r) for r in rows if r["cell"] == cell.id))
        if cell.id == "url" and _url_note(extra):
            st.caption(_url_note(extra))
    st.markdown("**In short** (each cell judged by our best candidate for it):\n"
                + "\n".join(f"- {MARK[v]}: {', '.join(t)}" for v, t in summary(rows).items()))
    share = cells.interpretable_share(results)
    if share:
        st.markdown(f"Karpathy's \"about 5%\" of readable cells, checked on ours: per model and layer, between "
                    f"**{share[0]:.1%}** and **{share[1]:.1%}** of units reach |r| ≥ 0.5 with one of our memory "
                    "features. Broad features such as line position correlate with many units at once, so the high end "
                    "overstates how many units are as clean as the cells above.")
    lesson.text("m05", "cells-honest")
    with st.expander("Every comparison as a table"):
        st.dataframe(pd.DataFrame([{k: v for k, v in r.items() if k != "cell"} for r in rows]), hide_index=True,
                     width="stretch")
    made = neurons_ui.provenance(results)
    if extra:
        made += (f" The URL and if-condition features: `{extra['command']}` on {extra['produced_at'][:16]} UTC, "
                 f"stored in checkpoints/cells.json ({extra['method']})")
    lesson.provenance(made)

"""Module 6: how the dates decoder is trained and how it is used. Teacher-forced vs free-running decoding on a real
exposure-bias error, and greedy vs beam search with measured exact match per beam width. Numbers come from
core.lessons.dates_decoding (live) and assets/m06_exposure_bias.json (its `--find` run); prose from
assets/lessons/m06.md."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.course import lessons
from core.data import tasks
from core.lessons import dates_decoding
from core.models import inference
from core.ui import guard, lesson, models
from core.ui.lessons import beyond_text

WIDTHS = dates_decoding.WIDTHS
MODELS = ("dates-attention-small", *dates_decoding.BEAM_MODELS)
MODEL_LABELS = {"dates-plain": "dates-plain (no attention)", "dates-bahdanau": "dates-bahdanau (attention)",
                "dates-attention": "dates-attention (attention + coverage)",
                "dates-attention-small": "dates-attention-small (hidden 32)"}
SHOWN = {"<eos>": "end", "<sos>": "start", " ": "␣"}


@st.cache_data(ttl=600, show_spinner=False)
def _asset() -> dict | None:
    return dates_decoding.load_asset()


def _c(ch: str) -> str:
    return SHOWN.get(ch, ch)


def side_by_side(comparison: dict) -> pd.DataFrame:
    """One row per output step: the correct character, then for each run "fed → picked · probability" (free
    running's marked ✓ or ✗ against the correct character). `comparison` has the keys of dates_decoding._summary (stored or computed now)."""
    want = [*comparison["target"], "<eos>"]
    forced, free = comparison["forced"], comparison["free"]
    rows = []
    for t in range(max(len(want), len(free))):
        f = forced[t] if t < len(forced) else None
        r = free[t] if t < len(free) else None
        right = want[t] if t < len(want) else ""
        rows.append({
            "step": t + 1, "correct": _c(right),
            "teacher forcing": f"{_c(f['fed'])} → {_c(f['char'])} · {f['prob']:.0%}" if f else "",
            "free running": (f"{_c(r['fed'])} → {_c(r['char'])} · {r['prob']:.0%}" if r else "(stopped)")
            + (" ✓" if r and t < len(want) and r["char"] == right else " ✗")})
    return pd.DataFrame(rows)


def _table(df: pd.DataFrame) -> None:
    st.dataframe(df, hide_index=True, width="stretch", height=38 + 35 * len(df))  # every step, no scrolling


def forced_wrong(comparison: dict) -> int:
    """Teacher-forced steps whose most likely character is not the correct one."""
    want = [*comparison["target"], "<eos>"]
    return sum(s["char"] != c for s, c in zip(comparison["forced"], want, strict=True))


def _story(ex: dict) -> str:
    """What the table shows, in numbers taken from it."""
    d = ex["first_error_step"]
    want = [*ex["target"], "<eos>"]
    first = ex["free"][d]
    return (f"At step {d + 1} both runs have been fed the same characters, so both pick `{_c(first['char'])}` "
            f"({first['prob']:.0%}) where `{_c(want[d])}` is right. Teacher forcing is then handed the correct "
            f"`{_c(want[d])}` and picks every later character right. Free running is handed its own "
            f"`{_c(first['char'])}` and goes wrong at {len(ex['compounded_steps'])} more steps where teacher "
            f"forcing was right, ending at `{ex['free_output']}` instead of `{ex['target']}`.")


@st.cache_data(show_spinner="Running the decoder twice...", max_entries=128)
def _compare(name: str, text: str, target: str) -> dict:
    model, _ = models.get_seq2seq(name)
    with inference.inference():
        c = dates_decoding.compare(model, text, target)
    return {**dates_decoding.summarize(c), "forced_wrong": c.forced_wrong}


@st.cache_data(show_spinner="Searching...", max_entries=256)
def _beams(name: str, text: str, width: int) -> list[dates_decoding.Beam]:
    model, _ = models.get_seq2seq(name)
    with inference.inference():
        return dates_decoding.beam_search(model, text, width)


@st.fragment
@guard.demo_guard("Teacher forcing vs free running")
def teacher_forcing(key_prefix: str = "m06") -> None:
    st.markdown("#### Teacher forcing vs free running")
    asset = _asset()
    if not asset or not asset.get("exposure_bias") or not beyond_text.shipped(asset["exposure_bias"]["model"]):
        guard.not_installed("The exposure-bias example", dates_decoding.COMMAND)
        return
    ex = asset["exposure_bias"]
    lesson.text("m06", "teacher-forcing")
    st.markdown(f"**Input:** `{ex['text']}`  \n**Model:** {MODEL_LABELS.get(ex['model'], ex['model'])}")
    cols = st.columns(2)
    cols[0].metric("teacher forcing: wrong characters", forced_wrong(ex),
                   help="Steps where its most likely character is not the correct one, fed the correct past.")
    cols[1].metric("free running: wrong characters", ex["wrong_chars"],
                   help="Positions where its answer differs from the correct one, fed its own past.")
    _table(side_by_side(ex))
    st.caption(_story(ex))
    lesson.text("m06", "exposure-bias")
    _try_your_own(ex, key_prefix)
    found, search = asset["search"].get("found"), asset["search"]
    lesson.provenance(f"Found by `{asset['command']}` ({asset['produced_at']}): among {search['inputs']} "
                      f"(seed {search['seed']}), read by {', '.join(search['models'])}, {found} inputs had free "
                      "running's first mistake as teacher forcing's only one and then a later mistake teacher "
                      "forcing did not make; the one shown is the shortest-reading with its first mistake earliest "
                      "and the most errors after it. The table is recomputed from the checkpoint by "
                      "tests/lessons/test_dates_decoding.py.")


def _try_your_own(ex: dict, key_prefix: str) -> None:
    with st.expander("Try your own sentence and its correct answer", icon=":material/edit:"):
        cols = st.columns([3, 2])
        text = cols[0].text_input("Sentence", ex["text"], max_chars=300, key=f"{key_prefix}-tf-text")
        target = cols[1].text_input("Correct answer (YYYY-MM-DD, several separated by spaces)", ex["target"],
                                    max_chars=tasks.MAX_TARGET_LEN, key=f"{key_prefix}-tf-target")
        names = beyond_text.shipped(*MODELS)
        name = st.selectbox("Model", names, index=names.index(ex["model"]) if ex["model"] in names else 0,
                            format_func=MODEL_LABELS.get, key=f"{key_prefix}-tf-model")
        if not st.button("Run both decoders", key=f"{key_prefix}-tf-run"):
            return
        bad = tasks.TGT_VOCAB.unknown(target.strip())
        clean, notes = tasks.check_learner_text(text)
        if bad or not target.strip() or not clean:
            st.warning("Type a sentence and an answer made of digits, '-' and spaces only, like `2024-03-14`.",
                       icon=":material/edit:")
            return
        out = _compare(name, clean, target.strip())
        _table(side_by_side(out))
        n_forced = len(out["forced_wrong"])
        st.caption(f"Teacher forcing misses {n_forced} of {len(out['forced'])} characters; free running writes "
                   f"`{out['free_output'] or '(nothing)'}` ({out['wrong_chars']} positions differ from your answer).")


@st.fragment
@guard.demo_guard("Greedy vs beam search")
def beam_search(key_prefix: str = "m06") -> None:
    st.markdown("#### Greedy vs beam search")
    lesson.text("m06", "beam-search")
    asset = _asset() or {}
    ex = asset.get("exposure_bias") or {}
    names = beyond_text.shipped(*MODELS)
    if not names:
        guard.not_installed("The dates checkpoints", "python -m core.train --recipe dates-attention")
        return
    text = st.text_input("Sentence with dates", ex.get("text", beyond_text.DEFAULT_TEXT), max_chars=300,
                         key=f"{key_prefix}-beam-text")
    cols = st.columns([3, 2])
    default = ex.get("model") if ex.get("model") in names else names[0]
    name = cols[0].selectbox("Model", names, index=names.index(default), format_func=MODEL_LABELS.get,
                             key=f"{key_prefix}-beam-model")
    width = cols[1].select_slider("beam width", WIDTHS, 3, key=f"{key_prefix}-beam-width")
    on_key = f"{key_prefix}-beam-on"
    if st.button("Decode", key=f"{key_prefix}-beam-run"):
        st.session_state[on_key] = True
    if st.session_state.get(on_key):
        _show_beams(name, text, int(width), ex.get("target") if text.strip() == ex.get("text") else None)
    _accuracy_table(asset)


def _show_beams(name: str, text: str, width: int, correct: str | None = None) -> None:
    """The best `width` beams; with `correct` (the stored example's answer) each row says whether it is right."""
    clean, notes = tasks.check_learner_text(text)
    for note in notes:
        st.info(note, icon=":material/info:")
    if not clean:
        return
    beams, greedy = _beams(name, clean, width), _beams(name, clean, 1)[0]
    st.dataframe(pd.DataFrame([{"rank": i + 1, "output": b.output or "(nothing)", "log p (nats)": round(b.logprob, 3),
                                "probability": f"{math.exp(b.logprob):.1%}",
                                "ended": "yes" if b.finished else "cut at the length limit",
                                **({"correct?": "✓ correct" if b.output == correct else "✗"} if correct else {})}
                               for i, b in enumerate(beams[:width])]), hide_index=True, width="stretch")
    if correct:
        rank = next((i + 1 for i, b in enumerate(beams[:width]) if b.output == correct), None)
        if rank is None:
            st.caption(f"The correct answer, `{correct}`, is not among these {width}.")
        elif rank == 1:
            st.caption(f"The best beam is the correct answer, `{correct}`.")
        else:
            st.caption(f"The correct answer, `{correct}`, is beam {rank} of {width}: the model itself finds the "
                       "answer above it more likely, so searching wider cannot make it win.")
    best = beams[0]
    if best.ids == greedy.ids:
        st.caption(f"Width {width} ends where greedy decoding ends: `{greedy.output}` (log p {greedy.logprob:.3f}).")
    else:
        st.caption(f"Width {width} finds `{best.output}` (log p {best.logprob:.3f}); greedy decoding wrote "
                   f"`{greedy.output}` (log p {greedy.logprob:.3f}). " + lessons.block("m06", "beam-differs"))


def _accuracy_table(asset: dict) -> None:
    beam = asset.get("beam")
    if not beam:
        return
    rows = [{"model": MODEL_LABELS.get(n, n), **{f"width {w}": f"{row[str(w)]:.1%}" for w in beam["widths"]}}
            for n, row in beam["exact_match"].items()]
    st.markdown(f"**Exact match by beam width** on {beam['n']} fresh held-out inputs")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(lessons.block("m06", "beam-accuracy"))
    lesson.provenance(f"`{asset['command']}` ({asset['produced_at']}) decoded {beam['eval_set']} with every width; "
                      "exact match means the best finished beam is the whole correct answer. Scores are total "
                      "log-probabilities with no length normalisation.")

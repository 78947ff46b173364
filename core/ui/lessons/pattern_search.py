"""Module 5 pattern search (after LSTMVis): the learner marks a span of a sample, sees the units that mark it, and
gets the other places in held-out text where those units fire together, ranked. Numbers from
core.lessons.pattern_search; the held-out pass runs once per model per process (st.cache_resource)."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from core.course import lessons
from core.data import corpora as data
from core.jobs import runs as learner_runs
from core.lessons import neuron_views, neurons
from core.lessons import pattern_search as ps
from core.ui import lesson, models
from core.ui.lessons import neurons as neurons_ui

MAX_CHARS = 300  # as the activation explorer: one live pass stays well under 200 ms
SHOWN = {"\n": "⏎\n"}  # line breaks stay visible and still break the line; tabs keep their width
WARPEACE = ("The old prince did not look up from his papers when she came in. He wrote on, slowly, and\nonly after a "
            "long while said, \"You are late again,\" and went back to his letter. She sat\ndown by the window and "
            "waited for him to finish.\n")
SHAKESPEARE = neurons_ui.SAMPLE_TEXTS["shakespeare-lstm-best"]
SAMPLES = {  # model -> (sample text, the span it opens with)
    "linux-lstm": (neurons_ui.SAMPLE_TEXTS["linux-lstm"], "/* walk the list once */"),
    "latex-lstm": (neurons_ui.SAMPLE_TEXTS["latex-lstm"], "$f : X \\to Y$"),
    "warpeace-lstm": (WARPEACE, '"You are late again,"'),
    **{n: (SHAKESPEARE, "WARWICK:") for n in ("shakespeare-lstm-best", "shakespeare-lstm", "shakespeare-gru",
                                               "shakespeare-rnn")},
}
BY_TEXT, BY_POSITION = "typing part of the text", "character positions"
RULE_LABELS = {"contrast": "mean inside minus mean outside", "threshold": "LSTMVis: on over the span, off around it"}
SHOW = 10  # matches listed


def _held_out(name: str, corpus: str | None) -> tuple[str, str]:
    """(held-out text, its description) for a shipped checkpoint or a learner's own run; CorpusError/KeyError/
    OSError when it is not on this server."""
    if name.startswith(models.OWN_PREFIX):
        learner, _, run_id = name[len(models.OWN_PREFIX):].partition(":")
        return learner_runs.held_out_text(int(learner), run_id), "the text held out when you trained this model"
    if corpus is None:
        raise data.CorpusError(f"{name} names no corpus")
    return ps.held_out_text(corpus), f"the validation split of {corpus} (the last 10%, never trained on)"


@st.cache_resource(show_spinner=False, max_entries=4, ttl=3600)
def held_out_scan(name: str, corpus: str | None) -> ps.Scan:
    """The model's hidden states over SCAN_CHARS held-out characters, computed once per model per process.
    `name` is a checkpoint name or models.own_key(): only its owner's session can form an own key."""
    model, vocab = models.load_char_model(name)
    text, source = _held_out(name, corpus)
    return ps.scan(model, vocab, text, source)


def _show(text: str) -> str:
    return "".join(SHOWN.get(ch, html.escape(ch)) for ch in text)


def marked(before: str, match: str, after: str) -> str:
    """Monospace text with the match highlighted (line breaks shown as ⏎ and kept)."""
    return (f'<div style="font-family:monospace;font-size:0.9em;white-space:pre-wrap;tab-size:4;'
            f'overflow-wrap:anywhere;line-height:1.5">{_show(before)}'
            f'<mark style="background:#fdd835;padding:0 1px">{_show(match)}</mark>{_show(after)}</div>')


def _span(key: str, text: str, default_needle: str) -> tuple[int, int] | None:
    """The span the learner picks, by typing a piece of the text or by a range slider over character positions."""
    how = st.radio("Pick the span by", [BY_TEXT, BY_POSITION], horizontal=True, key=f"{key}-how")
    if how == BY_TEXT:
        cols = st.columns([3, 1])
        needle = cols[0].text_input("The span: type a piece of the sample (exactly as it appears)",
                                    value=default_needle if default_needle in text else text[:8].strip(),
                                    key=f"{key}-needle")
        count = text.count(needle) if needle else 0
        nth = cols[1].number_input("Occurrence", 1, max(1, count), 1, key=f"{key}-nth-{count}", disabled=count < 2,
                                   help="Which appearance of the piece, when it appears more than once.")
        found = ps.find_span(text, needle, int(nth))
        if found is None:
            st.warning("That piece does not appear in the sample. Type it exactly, or pick by character positions.")
        return found
    s, e = ps.find_span(text, default_needle) or (0, min(len(text), 10))
    start, end = st.slider("The span (character positions)", 0, len(text), (s, e), key=f"{key}-range-{len(text)}")
    if end <= start:
        st.warning("Widen the span to at least one character.")
        return None
    return start, end


def _settings(key: str, cfg, span_len: int) -> dict:
    cols = st.columns(3)
    layer = cols[0].selectbox("Layer", range(cfg.layers), format_func=lambda i: f"layer {i + 1}",
                              index=cfg.layers - 1, key=f"{key}-layer")
    signals = ["c", "h"] if cfg.kind == "lstm" else ["h"]
    signal = cols[1].radio("Signal", signals, format_func=lambda s: neurons.SIGNALS[s], key=f"{key}-signal")
    k = cols[2].slider("Units to match", 1, 10, 5, key=f"{key}-k")
    with st.expander("Search settings"):
        rule = st.radio("How units are picked", list(RULE_LABELS), format_func=RULE_LABELS.get,
                        key=f"{key}-rule")
        threshold = st.slider("On threshold (LSTMVis rule)", 0.0, 0.9, 0.3, 0.05, key=f"{key}-thr",
                              disabled=rule != "threshold")
        quorum = st.slider("Share of the units that must be on together", 0.2, 1.0, 0.8, 0.1, key=f"{key}-quorum")
        min_len = st.slider("Shortest match (characters)", 1, 40, ps.default_min_len(span_len),
                            key=f"{key}-minlen-{span_len}")
    return {"key": f"L{layer}.{signal}", "layer": layer, "signal": signal, "k": k, "rule": rule,
            "threshold": threshold, "quorum": quorum, "min_len": min_len}


@st.fragment
def pattern_search(ctx, key_prefix: str = "m05-ps", default: str = "linux-lstm") -> None:
    """Pick a model and a span; see the units that mark it; search held-out text for the same units firing."""
    st.subheader("Pattern search: where else do these units fire?")
    lesson.text("m05", "search-intro")
    st.caption(lessons.block("m05", "search-try"))
    choice = models.pick_charlm(ctx, f"{key_prefix}-model", default)
    if choice is None:
        return
    model, vocab, name = choice.model, choice.vocab, choice.name
    if not hasattr(model, "cfg") or not hasattr(model, "embed"):
        st.info("Pattern search needs a character-level model (CharLM); this one cannot be read unit by unit.")
        return
    key = f"{key_prefix}-{name}"
    sample, needle = SAMPLES.get(name, (None, ""))
    if sample is None:  # a learner's own model (or a model with no sample): the start of its held-out text
        try:
            sample = _held_out(name, _corpus(choice))[0][:240]
        except (data.CorpusError, KeyError, OSError):
            sample = "Type or paste a sample here."
    text = st.text_area("Sample text", value=sample, height=180, key=f"{key}-text")[:MAX_CHARS]
    text = "".join(ch for ch in text if ch in vocab)
    if len(text) < 2:
        st.info("Type or paste a sample of at least two characters this model knows.")
        return
    span = _span(key, text, needle)
    if span is None:
        return
    start, end = span
    if end - start == len(text):
        st.warning("The span covers the whole sample: leave some text around it to compare with.")
        return
    st.markdown(marked(text[:start], text[start:end], text[end:]), unsafe_allow_html=True)
    opt = _settings(key, model.cfg, end - start)
    states = neuron_views.text_states(model, vocab, text)[opt["layer"]][opt["signal"]]
    acts = neurons.display_values(states, opt["signal"])  # (T, H)
    picks = ps.pick_units(acts, start, end, opt["k"], opt["rule"], opt["threshold"])
    if not picks:
        st.info("No unit passes this rule on your span (on at every character of it, off just around it). Lower "
                "the threshold, widen the span, or pick units by mean inside minus mean outside.")
        return
    st.dataframe(pd.DataFrame([{"unit": p.unit, "fires": "high" if p.sign > 0 else "low (sign flipped)",
                                "mean over span": round(p.sign * p.inside, 3),
                                "mean elsewhere": round(p.sign * p.outside, 3), "on when": f"≥ {p.threshold:+.2f}"
                                if p.sign > 0 else f"≤ {-p.threshold:+.2f}"} for p in picks]),
                 hide_index=True, width="content")
    go = f"{key_prefix}-go"
    if st.button("Search held-out text", key=f"{key}-search", type="primary"):
        st.session_state[go] = name
    if st.session_state.get(go) != name:
        st.caption(f"The first search on a model reads {ps.SCAN_CHARS:,} held-out characters through it once (a "
                   "few seconds); later searches on it take milliseconds.")
        return
    _results(name, choice, picks, opt)


def _corpus(choice: models.ModelChoice) -> str | None:
    return None if choice.is_own else models.shipped_charlms().get(choice.name, {}).get("data", {}).get("corpus")


def _results(name: str, choice: models.ModelChoice, picks: list[ps.UnitPick], opt: dict) -> None:
    try:
        with st.spinner(f"Reading {ps.SCAN_CHARS:,} held-out characters through the model (once)..."):
            scan = held_out_scan(name, _corpus(choice))
    except (data.CorpusError, KeyError, OSError) as e:
        st.info("The held-out text of this model is not on this server, so there is nothing to search. "
                f"({type(e).__name__})", icon=":material/hourglass_empty:")
        return
    matches, total = ps.find_matches(scan.acts[opt["key"]], picks, opt["quorum"], opt["min_len"], top=SHOW)
    chars = sum(len(p) for p in scan.pieces)
    need = max(1, round(opt["quorum"] * len(picks) - 1e-9))
    st.markdown(f"**{total:,} places** in {chars:,} characters of {scan.source} where at least {need} of these "
                f"{len(picks)} units are on together for {opt['min_len']}+ characters. The best {len(matches)}:")
    if not matches:
        st.info("None. Let fewer units agree, allow shorter matches, or choose another span.")
    for m in matches:
        st.markdown(marked(*ps.snippet(scan.pieces[m.piece], m.start, m.end)), unsafe_allow_html=True)
        st.caption(f"score {m.score:+.2f} · {m.length} characters · {m.on_share:.0%} of the units on, on average")
    lesson.provenance(f"Held-out pass: {len(scan.pieces)} pieces of {len(scan.pieces[0]):,} characters spread over "
                      f"{scan.source}, each read after {ps.BURN_IN} characters that settle the state, in "
                      f"{scan.seconds:.1f} s on this server (once per model per process). Score: the mean, over the "
                      "match, of the picked units' activations (sign-flipped for units that fire low).")

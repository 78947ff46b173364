"""Module 3's connectivity view: type a text, press the button, and see for each earlier character how strongly the
model's prediction of one character depends on it (the gradient norm of its log-probability with respect to that
character's input vector, by autograd), for the equal-budget RNN / LSTM / GRU side by side or any other char model,
shipped or the learner's own. The numbers come from core.lessons.connectivity; the prose from assets/lessons/m03.md."""

from __future__ import annotations

import html
import zlib

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.lessons import connectivity
from core.models import inference
from core.ui import charts, guard, lesson, models
from core.ui.lessons.gru_lesson import GRU_COLOR, SHIPPED
from core.ui.lessons.rnn_demos import LSTM_COLOR, RNN_COLOR

MAX_CHARS = connectivity.MAX_CHARS
# Written for this course in Shakespeare's manner (the trio's vocabulary has no digits, brackets or double quotes).
DEFAULT_TEXT = ("ROMEO:\nBut soft, what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n\n"
                "JULIET:\nAy me!\n\nROMEO:\nShe speaks. O, speak again, bright angel!\n\n"
                "JULIET:\nO Romeo, Romeo! wherefore art thou Romeo?")
TRIO = ("rnn", "lstm", "gru")
TRIO_LABEL = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
TRIO_COLOR = {"rnn": RNN_COLOR, "lstm": LSTM_COLOR, "gru": GRU_COLOR}
OTHER_COLOR = "#9467bd"
SHADE = (214, 39, 40)  # the strip's red
DECADES = 4.0  # the strip's log scale: darkest at the largest gradient, white 10^-4 below it
FAR = 30  # "share from more than FAR characters back"
FLOOR = 12  # the chart's log axis goes down to 10^-FLOOR of each model's largest norm; smaller values run off it
SHOWN = {" ": "␣", "\n": "⏎"}
MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#+-.!|$~&")


def _md(ch: str) -> str:
    """One character for Markdown prose, quoted: a space or newline as a visible sign, special characters escaped
    (a lone "$" would otherwise start LaTeX)."""
    shown = SHOWN.get(ch, ch)
    return "“" + ("\\" + shown if shown in MARKDOWN_SPECIAL else shown) + "”"


@st.cache_data(show_spinner=False, max_entries=128)
def compute(name: str, text: str, target: int) -> connectivity.Connectivity:
    """One gradient computation, cached per (model, text, position). `name` is a checkpoint or models.own_key()."""
    inference.configure_threads()
    model, vocab = models.load_char_model(name)
    return connectivity.connectivity(model, vocab, text, target)


def strip(result: connectivity.Connectivity, decades: float = DECADES) -> str:
    """The text with each character's background as dark as its gradient norm (log scale); the predicted character
    boxed; the characters after it grey (they cannot influence the prediction)."""
    shade = connectivity.heat(result, decades)
    spans = []
    for t, ch in enumerate(result.text):
        shown = "⏎<br>" if ch == "\n" else html.escape(ch).replace("$", "&#36;")  # a raw "$" would start LaTeX
        if t < result.target:
            r, g, b = SHADE
            tip = f"{result.target - t} back: {result.norms[t]:.2e}"
            spans.append(f'<span title="{tip}" style="background:rgba({r},{g},{b},{shade[t]:.2f})">{shown}</span>')
        elif t == result.target:
            spans.append(f'<span title="the predicted character" style="outline:2px solid #222;'
                         f'outline-offset:-1px;font-weight:bold">{shown}</span>')
        else:
            spans.append(f'<span title="after the prediction: no influence" style="color:#aaa">{shown}</span>')
    return ('<div style="font-family:monospace;white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.6;'
            'font-size:0.95em;margin-bottom:1em">' + "".join(spans) + "</div>")


@st.cache_data(show_spinner=False, max_entries=64)
def _chart_spec(df: pd.DataFrame, domain: tuple[str, ...], colors: tuple[str, ...]) -> dict:
    df = df.assign(relative=df["norm"] / df.groupby("model")["norm"].transform("max"))
    df = df[df["relative"] > 0]  # exactly 0 has no place on a log axis (it does not happen in practice)
    ticks = [10.0 ** -k for k in range(0, FLOOR + 1, 2)]
    chart = alt.Chart(df, title="Gradient norm by distance").mark_line(
        point=alt.OverlayMarkDef(size=10), clip=True).encode(
        x=alt.X("distance:Q", title="how many characters back"),
        y=alt.Y("relative:Q", title="norm / the model's largest (log)",
                scale=alt.Scale(type="log", domain=[10.0 ** -FLOOR, 1]), axis=alt.Axis(values=ticks, format=".0e")),
        color=alt.Color("model:N", scale=alt.Scale(domain=list(domain), range=list(colors)), title=None,
                        legend=alt.Legend(orient="bottom")),
        tooltip=["model", "distance", "char", alt.Tooltip("norm:Q", format=".2e"),
                 alt.Tooltip("relative:Q", format=".1e")])
    return chart.to_dict()


def _models(ctx, key: str) -> list[tuple[str, str, str]] | None:
    """(checkpoint name or own key, label, colour) of the models to compare, or None after saying why."""
    mode = st.radio("Models", ["trio", "one"], horizontal=True, key=f"{key}-mode",
                    format_func={"trio": "RNN vs LSTM vs GRU (the equal-budget trio)",
                                 "one": "another model (shipped, or one you trained)"}.get)
    if mode == "one":
        choice = models.pick_charlm(ctx, f"{key}-model", "shakespeare-lstm-best")
        return None if choice is None else [(choice.name, choice.label, OTHER_COLOR)]
    shipped = models.shipped_charlms(TRIO)
    trio = [(SHIPPED[k], TRIO_LABEL[k], TRIO_COLOR[k]) for k in TRIO if SHIPPED[k] in shipped]
    if not trio:
        guard.not_installed("The equal-budget trio (shakespeare-rnn, -lstm, -gru)",
                            "python -m core.train --recipe shakespeare-rnn (and -lstm, -gru)")
        return None
    return trio


def _usable_text(raw: str, chosen: list[tuple[str, str, str]]) -> str | None:
    """The submitted text without characters some chosen model cannot read (said so), or None if too little is left."""
    text = raw[:MAX_CHARS]
    missing: list[str] = []
    for name, _, _ in chosen:
        _, vocab = models.load_char_model(name)
        text, dropped = connectivity.clean_text(text, vocab)
        missing += [ch for ch in dropped if ch not in missing]
    if missing:
        st.caption("Left out characters the model never saw in training: "
                   f"`{html.escape(''.join(SHOWN.get(c, c) for c in missing[:20]))}`")
    if len(text) < 2:
        st.info("Type at least two characters the model knows: one to predict and one before it.")
        return None
    return text


@st.fragment
@guard.demo_guard("Connectivity view")
def view(ctx, key: str = "m03-conn") -> None:
    """Pick the models, type a text, press the button; then move the slider to explain another character."""
    chosen = _models(ctx, key)
    if chosen is None:
        return
    with st.form(f"{key}-form", border=False):
        raw = st.text_area(f"Your text (up to {MAX_CHARS} characters)", DEFAULT_TEXT, max_chars=MAX_CHARS,
                           height=130, key=f"{key}-text")
        asked = st.form_submit_button("Compute the connectivity", icon=":material/insights:")
    if asked:
        st.session_state[f"{key}-asked"] = raw
    raw = st.session_state.get(f"{key}-asked")
    if raw is None:
        st.caption("Nothing is computed until you press the button; then it takes well under a second per model "
                   f"for {MAX_CHARS} characters.")
        return
    text = _usable_text(raw, chosen)
    if text is None:
        return
    pos = st.slider("Character to explain (its position in the text; the last one by default)", 2, len(text),
                    len(text), key=f"{key}-pos-{zlib.crc32(text.encode())}")
    target = pos - 1
    ch = _md(text[target])
    st.markdown(f"Explaining the prediction of **{ch}**, character {pos}, from the {target} characters before it.")
    results = [(label, color, compute(name, text, target)) for name, label, color in chosen]
    cols = st.columns(len(results))
    for col, (label, _, res) in zip(cols, results, strict=True):
        with col:
            guess = ", ".join(f"{_md(c)} {p:.2f}" for c, p in res.top)
            st.markdown(f"**{label}**")
            st.caption(f"P({ch}) = {np.exp(res.log_prob):.2f}; its top guesses: {guess}  \n"
                       f"Down to 1% of its largest gradient {connectivity.reach(res)} characters back; "
                       f"{connectivity.share_beyond(res, FAR):.1%} of the total from more than {FAR} back.")
            st.markdown(strip(res), unsafe_allow_html=True)
    st.caption("Darker red: the prediction depends more on that character. The shading is logarithmic, from each "
               "model's own largest gradient (darkest) down to a ten-thousandth of it (white); on a desktop, hover "
               "over a character for its distance and gradient norm. The boxed character is the one predicted; grey "
               "ones come after it and cannot matter.")
    df = pd.DataFrame([row for label, _, res in results for row in connectivity.rows(res, label)])
    charts.draw_spec(_chart_spec(df, tuple(label for label, _, _ in results),
                                 tuple(color for _, color, _ in results)), height=360)
    took = sum(res.seconds for _, _, res in results)
    st.caption(f"A line that falls below 1e-{FLOOR} of its largest runs off the bottom. Computed live: one forward "
               f"and one backward pass per model, {took:.2f} s in all on this server for {target} characters.")
    lesson.provenance("For each model: the text up to the chosen character goes through the model once with "
                      "autograd on the embedding vectors (the weights stay frozen); ∂ log P(character | text "
                      "before it) / ∂ e_t is taken for every earlier position t and its Euclidean norm shown. "
                      "core/lessons/connectivity.py computes it; tests/lessons/test_connectivity.py checks it "
                      "against finite differences on small random RNN, LSTM and GRU models. The figures in the "
                      "lesson text below come from `python -m core.lessons.connectivity shakespeare-rnn "
                      "shakespeare-lstm shakespeare-gru shakespeare-lstm-best` (six 300-character passages of "
                      "held-out Tiny Shakespeare, 20 predicted characters each; 7 December 2026).")

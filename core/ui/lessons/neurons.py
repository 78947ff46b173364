"""Module 5 neuron demos: the activation heatmap explorer (live, on any text and any char model) and the neuron
detective game (on units that core.lessons.neurons found correlated with a feature over held-out text). The numbers
come from core.lessons.neuron_views, the lesson text from assets/lessons/m05.md."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.course import lessons
from core.data.corpora import Vocab
from core.lessons import neuron_views, neurons
from core.ui import guard, lesson, models

if TYPE_CHECKING:
    from torch import nn

MAX_CHARS = 300  # keeps one live pass well under 200 ms on a shared CPU and the heatmap readable
SAMPLE_TEXTS = {  # written for this course, one per shipped model, with the structures the analysis looks for
    "warpeace-lstm": ('"You are late," said the old prince, without looking up. "Sit down (if you must) and listen.'
                      '"\nShe sat. "I only came to say goodbye," she answered quietly.\n'),
    "latex-lstm": ("\\begin{lemma}\nLet $f : X \\to Y$ be a morphism of schemes. If $f$ is flat and\n"
                   "$\\mathcal{F}$ is quasi-coherent, then $f^*\\mathcal{F}$ is quasi-coherent.\n\\end{lemma}\n"),
    "linux-lstm": ("static int count_pages(struct page *page, int nr)\n{\n\tint i, total = 0;\n\n"
                   "\t/* walk the list once */\n\tfor (i = 0; i < nr; i++) {\n\t\tif (page[i].flags)\n"
                   "\t\t\ttotal++;\n\t}\n\treturn total;\n}\n"),
    "shakespeare-lstm-best": ("KING HENRY:\nWhat news, my lord? Speak plainly, for the day\nIs almost spent.\n\n"
                              "WARWICK:\nThe queen is come, and with her all her train.\n"),
}
DEFAULT_TEXT = SAMPLE_TEXTS["warpeace-lstm"]
MOST_ACTIVE = "most active on this text"
SHOWN = {" ": "␣", "\n": "⏎"}
POS, NEG = (214, 39, 40), (31, 119, 180)  # red above zero, blue below, as on the Module 2-3 heatmaps
QUIZ_ID = "m05-neuron-detective"
BADGE_AT = 5


@st.cache_data(show_spinner=False, max_entries=4)
def _load_results(mtime: float) -> dict | None:
    return neurons.load_results()


def shipped_results() -> dict | None:
    """checkpoints/neurons.json, parsed once per version of the file."""
    try:
        return _load_results(neurons.RESULTS_PATH.stat().st_mtime)
    except OSError:
        return None


def colored_text(chars: str, values: list[float] | np.ndarray) -> str:
    """Karpathy-style view: each character's background shows the unit's activation (-1 blue .. +1 red)."""
    spans = []
    for ch, v in zip(chars, values, strict=True):
        v = float(np.clip(v, -1, 1))
        r, g, b = POS if v >= 0 else NEG
        shown = "⏎<br>" if ch == "\n" else html.escape(ch)
        spans.append(f'<span title="{v:+.2f}" style="background:rgba({r},{g},{b},{abs(v):.2f})">{shown}</span>')
    return ('<div style="font-family:monospace;white-space:pre-wrap;line-height:1.6;font-size:0.95em">'
            + "".join(spans) + "</div>")


def _states(key_prefix: str, model: nn.Module, vocab: Vocab, label: str, text: str) -> list[dict[str, np.ndarray]]:
    """All layers' activations for `text` ((T, H) per signal), remembered per session for the last (model, text).
    Not st.cache_data: a learner's own model is not hashable and must never land in a shared cache."""
    memo_key = f"{key_prefix}-memo"
    key = (id(model), label, text)
    memo = st.session_state.get(memo_key)
    if not memo or memo[0] != key:
        memo = (key, neuron_views.text_states(model, vocab, text))
        st.session_state[memo_key] = memo
    return memo[1]


WIDE = 70  # above this many characters the heatmap stretches to the page and drops its letter labels


def _heatmap(values: np.ndarray, chars: str, units: list[int], title: str) -> alt.Chart:
    """Units (rows) x characters (columns); a click on a cell selects its unit ("pick")."""
    shown = [SHOWN.get(ch, ch) for ch in chars]
    labels = [f"{t + 1} {ch}" for t, ch in enumerate(shown)]
    df = pd.DataFrame([{"pos": labels[t], "char": shown[t], "unit": u, "value": float(values[t, u])}
                       for u in units for t in range(len(chars))])
    wide = len(chars) > WIDE
    axis = (alt.Axis(labels=False, ticks=False) if wide else
            alt.Axis(labelAngle=0, labelExpr="split(datum.value, ' ')[1]", labelOverlap=False))
    pick = alt.selection_point(name="pick", fields=["unit"], on="click")
    chart = alt.Chart(df, title=title).mark_rect().encode(
        x=alt.X("pos:N", sort=labels, axis=axis,
                title="your text, one character per column" + (" (hover for the letter)" if wide else "")),
        y=alt.Y("unit:O", sort=units, title="hidden unit", axis=alt.Axis(labelOverlap=False)),
        color=alt.Color("value:Q", title="activation", scale=alt.Scale(scheme="redblue", domain=[-1, 1],
                                                                       reverse=True)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=["char", "unit", alt.Tooltip("value:Q", format=".3f")],
    ).add_params(pick)
    return chart.properties(height=alt.Step(16)) if wide else chart.properties(height=alt.Step(16), width=alt.Step(11))


def _trace_chart(values, chars: str, title: str, feature=None, feature_label: str = "") -> alt.Chart:
    shown = [SHOWN.get(ch, ch) for ch in chars]
    df = pd.DataFrame({"position": range(1, len(chars) + 1), "char": shown, "activation": np.asarray(values)})
    line = alt.Chart(df, title=title).mark_line(point=alt.OverlayMarkDef(size=12), color="#d62728").encode(
        x=alt.X("position:Q", title="character position in the text"),
        y=alt.Y("activation:Q", title="activation (-1 to 1)", scale=alt.Scale(domain=[-1, 1])),
        tooltip=["position", "char", alt.Tooltip("activation:Q", format=".3f")])
    if feature is None:
        return line
    df["feature"] = neuron_views.scaled_0_1(feature)
    area = alt.Chart(df).mark_area(opacity=0.25, color="#7f7f7f", interpolate="step-after").encode(
        x="position:Q", y=alt.Y("feature:Q", title="activation (-1 to 1)"),
        tooltip=["position", "char", alt.Tooltip("feature:Q", title=f"{feature_label} (scaled 0-1)", format=".2f")])
    return area + line


@st.fragment
def activation_explorer(key_prefix: str, model: nn.Module, vocab: Vocab, label: str,
                        feature_results: dict | None = None, default_text: str | None = None) -> None:
    """Paste text, see every unit of one layer per character, filter units by a feature, inspect one unit.
    `feature_results` is this model's entry of checkpoints/neurons.json (None for a model analysed only live)."""
    st.subheader("Activation heatmap explorer")
    st.caption(f"Model: **{label}**. Everything below is computed now, on your text.")
    if not hasattr(model, "cfg") or not hasattr(model, "embed"):
        st.info("This explorer needs a character-level model (CharLM); this one cannot be read unit by unit.")
        return
    raw = st.text_area("Text to run through the model", value=default_text or DEFAULT_TEXT, height=140,
                       key=f"{key_prefix}-text")
    text = raw
    if len(text) > MAX_CHARS:
        st.info(f"Your text has {len(text):,} characters; only the first {MAX_CHARS} are shown, to keep the page "
                "fast and the heatmap readable.")
        text = text[:MAX_CHARS]
    missing = vocab.unknown(text)
    if missing:
        st.caption(f"Skipped {len(missing)} character(s) the model never saw in training: "
                   f"`{html.escape(''.join(missing[:20]))}`")
        text = "".join(ch for ch in text if ch in vocab)
    if not text.strip():
        st.info("Type or paste some text (letters the model knows) to see its hidden units.")
        return
    cfg = model.cfg
    cols = st.columns([1, 1, 2, 1])
    layer = cols[0].selectbox("Layer", range(cfg.layers), format_func=lambda i: f"layer {i + 1}",
                              index=cfg.layers - 1, key=f"{key_prefix}-layer")
    signals = ["c", "h"] if cfg.kind == "lstm" else ["h"]
    signal = cols[1].radio("Signal", signals, format_func=lambda s: neurons.SIGNALS[s], key=f"{key_prefix}-signal")
    held = (feature_results or {}).get("units", {}).get(f"L{layer}.{signal}")
    options = [None] + [n for n in neurons.FEATURES if held is None or n in held]
    feature = cols[2].selectbox("Show units that correlate with", options, key=f"{key_prefix}-filter",
                                format_func=lambda n: MOST_ACTIVE if n is None else neurons.FEATURES[n].label)
    n_units = cols[3].slider("Units shown", 4, 32, 12, key=f"{key_prefix}-n")

    try:
        states = _states(key_prefix, model, vocab, label, text)[layer]
    except (RuntimeError, ValueError, KeyError, AttributeError, IndexError) as e:
        st.error(f"This model could not be run unit by unit ({type(e).__name__}: {e}).")
        return
    values = states[signal]  # (T, H), raw
    shown_values = neurons.display_values(values, signal)
    order, rows = neuron_views.rank_units(values, shown_values, text, feature, held, n_units)
    what = "tanh(c), the cell state as the output gate sees it" if signal == "c" else "h"
    view = f"{layer}-{signal}-{feature}"
    event = st.altair_chart(_heatmap(shown_values, text, order, f"{label}, layer {layer + 1}: {what}, per character"),
                            width="stretch" if len(text) > WIDE else "content", on_select="rerun",
                            selection_mode="pick", key=f"{key_prefix}-heat-{view}")
    unit_key = f"{key_prefix}-unit-{view}"
    picked = _picked_unit(event)
    if picked is not None and picked != st.session_state.get(f"{key_prefix}-last-pick"):
        st.session_state[unit_key] = picked  # a click on the heatmap selects that unit below
    st.session_state[f"{key_prefix}-last-pick"] = picked
    if feature is not None:
        src = ("first the units measured on held-out text (checkpoints/neurons.json), then the strongest on your "
               "text" if held else "by |Pearson r| on your text only (no held-out analysis for this model)")
        st.caption(f"Rows ordered {src}. A short text gives noisy r values: treat them as hints.")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="content")

    others = [u for u in range(values.shape[1]) if u not in order]
    unit = st.selectbox("Inspect one unit (click a row of the heatmap, or pick it here; the first ones are the "
                        "rows above)", order + others, key=unit_key, format_func=lambda u: f"unit {u}")
    st.markdown(colored_text(text, shown_values[:, unit]), unsafe_allow_html=True)
    fvals = neurons.feature_values(text, [feature])[feature] if feature else None
    st.altair_chart(_trace_chart(shown_values[:, unit], text, f"Unit {unit}, layer {layer + 1}: activation trace",
                                 fvals, neurons.FEATURES[feature].label if feature else ""), width="stretch")
    if feature:
        st.caption(f"Grey: the feature '{neurons.FEATURES[feature].label}', scaled to 0-1.")


def explorer(ctx, key_prefix: str = "m05-ex", default: str = "linux-lstm") -> None:
    """The explorer on a model the learner picks: a shipped one (with its held-out analysis when that is current)
    or one of the learner's own trained runs (analysed live on the pasted text only)."""
    choice = models.pick_charlm(ctx, f"{key_prefix}-model", default)
    if choice is None:
        return
    results = shipped_results()
    held = None
    if not choice.is_own and results and choice.name in results.get("models", {}):
        held = results["models"][choice.name] if neurons.is_current(results, choice.name) else None
        if held is None:
            st.caption("The held-out analysis of this model was made on an earlier version of its checkpoint, so it "
                       "is not used here.")
            guard.not_installed(f"An up-to-date neuron analysis of {choice.name}",
                                f"python -m core.lessons.neurons --models {choice.name} --merge")
    elif choice.is_own:
        st.caption("Your own model has no held-out analysis: the feature filter ranks its units by what they "
                   "correlate with in the text you paste.")
    activation_explorer(f"{key_prefix}-{choice.name}", choice.model, choice.vocab, choice.label, held,
                        default_text=SAMPLE_TEXTS.get(choice.name))


def _picked_unit(event) -> int | None:
    """The unit of the heatmap cell the learner clicked last, if any."""
    try:
        points = event.selection["pick"]
        return int(points[0]["unit"]) if points else None
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return None


def _choice_label(name: str | None) -> str:
    return neurons.NONE_LABEL if name is None else neurons.FEATURES[name].label


def _describe(p: dict, results: dict) -> str:
    m = results["models"][p["model"]]
    span = m["span"]
    where = (f"unit {p['unit']} of layer {p['layer'] + 1} ({neurons.SIGNALS[p['signal']]}) of **{m['title']}**, "
             f"over {span['used_chars']:,} held-out characters of the {m['corpus']} validation split")
    if p["answer"] is None:
        best = max(p["r_all"].items(), key=lambda kv: abs(kv[1]))
        return (f"This is {where}. Its strongest link to any of our features is "
                f"'{_choice_label(best[0])}' with Pearson r = {best[1]:+.2f}: no clear feature. Most units look "
                "like this.")
    sign = " Negative r: the unit goes down where the feature goes up." if p["r"] < 0 else ""
    return (f"This is {where}. Pearson r with '{_choice_label(p['answer'])}' = **{p['r']:+.2f}** "
            f"(chance level with the feature shifted: |r| ≈ {p['chance']:.2f}).{sign}")


def neuron_detective(ctx, results: dict | None = None, key_prefix: str = "m05-nd") -> None:
    """Guess what a real unit tracks from its activations; the reveal shows the measured correlation."""
    st.subheader("Neuron detective")
    results = results if results is not None else shipped_results()
    puzzles = (results or {}).get("puzzles") or []
    if not puzzles:
        guard.not_installed("The neuron analysis (checkpoints/neurons.json)", "python -m core.lessons.neurons")
        return
    lesson.provenance(provenance(results))
    game = st.session_state.setdefault(f"{key_prefix}-game", {"round": 0, "answers": {}})
    p = puzzles[game["round"] % len(puzzles)]
    ex = p["excerpt"]
    st.markdown(f"**Unit {game['round'] % len(puzzles) + 1} of {len(puzzles)}.** "
                + lessons.block("m05", "detective-prompt"))
    title = results["models"].get(p["model"], {}).get("title", p["model"])
    st.caption(f"{title} · layer {p['layer'] + 1} · {neurons.SIGNALS[p['signal']]} · unit {p['unit']} · "
               "an excerpt of held-out text")
    st.markdown(colored_text(ex["text"], ex["activation"]), unsafe_allow_html=True)
    answered = game["answers"].get(p["id"])
    choice = st.radio("Your guess", p["choices"], format_func=_choice_label, index=None,
                      key=f"{key_prefix}-guess-{game['round']}", disabled=answered is not None)
    cols = st.columns(3)
    if cols[0].button("Check", key=f"{key_prefix}-check", disabled=answered is not None or choice is None):
        answered = {"guess": choice, "correct": choice == p["answer"]}
        game["answers"][p["id"]] = answered
        try:
            ctx.store.save_reflection(ctx.learner.id, QUIZ_ID, p["id"],
                                      f"guess: {_choice_label(choice)}; answer: {_choice_label(p['answer'])}; "
                                      f"r = {p['r']:+.2f}")
        except Exception as e:  # a saving problem must not end the game
            st.warning(f"Your answer counts here but could not be saved ({type(e).__name__}).")
    if cols[1].button("Next unit", key=f"{key_prefix}-next"):
        game["round"] += 1
        st.rerun()
    score = sum(a["correct"] for a in game["answers"].values())
    cols[2].metric("correct", f"{score} of {len(game['answers'])}")
    if answered is not None:
        (st.success if answered["correct"] else st.error)(
            ("Right: " if answered["correct"] else "Not quite: ") + f"the answer is '{_choice_label(p['answer'])}'.")
        st.markdown(_describe(p, results))
        if p["answer"]:
            st.caption(lessons.block("m05", "detective-excerpt-note"))
        if not neurons.is_current(results, p["model"]):
            st.caption("Measured on an earlier version of this checkpoint; the model has been retrained since.")
        feat = p["answer"]
        st.altair_chart(_trace_chart(ex["activation"], ex["text"], f"Unit {p['unit']} on this excerpt",
                                     ex["feature"], _choice_label(feat)), width="stretch")
        r_all = sorted(p["r_all"].items(), key=lambda kv: -abs(kv[1]))[:6]
        st.dataframe(pd.DataFrame([{"feature": _choice_label(n), "Pearson r (held-out)": v} for n, v in r_all]),
                     hide_index=True, width="content")
    try:
        saved = {q for (_, q) in ctx.store.reflections(ctx.learner.id, QUIZ_ID)}
        st.caption(f"Saved to your progress: answers for {len(saved & {q['id'] for q in puzzles})} of "
                   f"{len(puzzles)} units.")
    except Exception:  # reading old answers is a nicety; the game works without it
        pass
    if score >= BADGE_AT:
        st.success(f"Neural interpreter: you have read {score} units correctly.", icon=":material/military_tech:")


def provenance(results: dict) -> str:
    """Which command made the shipped analysis, and when (per command: first to last model finished)."""
    runs: dict[str, list[str]] = {}
    for m in results["models"].values():
        runs.setdefault(m.get("command", results["command"]), []).append(m.get("produced_at", results["produced_at"]))
    spans = {m["span"]["used_chars"] for m in results["models"].values()}

    def when(times: list[str]) -> str:
        first, last = min(times)[:16].replace("T", " "), max(times)[:16].replace("T", " ")
        return f"{first} UTC" if first == last else f"{first}–{last[11:]} UTC"

    made = "; ".join(f"`{cmd}` on {when(times)}" for cmd, times in runs.items())
    return (f"Produced by {made}, stored in checkpoints/neurons.json. "
            f"{', '.join(f'{n:,}' for n in sorted(spans))} held-out characters per model. Method: {results['method']}")


def analysis_summary(results: dict | None = None) -> None:
    """The shipped analysis in two tables: each feature's strongest unit per model, and how many units are 'clear'."""
    results = results if results is not None else shipped_results()
    if not results or not results.get("models"):
        guard.not_installed("The neuron analysis (checkpoints/neurons.json)", "python -m core.lessons.neurons")
        return
    lesson.text("m05", "neurons-method")
    st.dataframe(pd.DataFrame(neuron_views.strongest_units(results)), hide_index=True, width="stretch")
    st.caption(lessons.block("m05", "neurons-table-note"))
    with st.expander("How many units are clearly linked to one of these features?"):
        st.dataframe(pd.DataFrame(neuron_views.memory_shares(results)), hide_index=True, width="stretch")
        st.caption(lessons.block("m05", "neurons-share-note"))
    lesson.provenance(provenance(results))

"""Module 9 practice: the three bug hunts (real runs), the learning-rate × hidden-size explorer (read from the
shipped checkpoints/hparams.json), the training-tips checklist and the failure-modes table. Their prose is in
assets/lessons/m09.md."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.course import lessons as lesson_text
from core.course import troubleshooting
from core.lessons import bughunts, curves
from core.models import inference
from core.training import checkpoints, hparams
from core.ui import guard, lesson, models
from core.ui.lessons.implementation import practice
from core.ui.shell import PageContext, show_store_error

PAGE = "m09"
HUNT_QUIZ = "m09-bughunts"
TIPS_QUIZ = "m09-tips"
STEPS = 200
RUNS = {"bug1": (5.0, 0.0), "clip": (5.0, 1.0), "good": (1.0, 1.0), "bug2": (1e-4, 1.0)}
COLD_MODEL = "shakespeare-rnn"


@st.cache_data(show_spinner="Training the tiny RNN (a few seconds)...", max_entries=16)
def _sgd(text: str, lr: float, clip: float, steps: int = STEPS) -> bughunts.Run:
    inference.configure_threads()
    return bughunts.sgd_run(text, lr, clip, steps)[0]


@st.cache_data(show_spinner="Training with Adam...", max_entries=4)
def _adam(text: str, lr: float, clip: float) -> bughunts.Run:
    inference.configure_threads()
    return bughunts.adam_run(text, lr, clip, steps=STEPS)


@st.cache_data(show_spinner="Sampling...", max_entries=8)
def _cold(prime: str) -> dict[float, tuple[str, bughunts.Loop]]:
    model, entry = models.get_model(COLD_MODEL)
    return bughunts.cold_samples(model, checkpoints.vocab_of(entry), prime, (0.0, 0.8))


def _runs_chart(runs: list[bughunts.Run], title: str) -> alt.Chart:
    df = pd.DataFrame([{"run": r.label, "step": i, "loss": v, "loss (smoothed)": smooth}
                       for r in runs
                       for i, (v, smooth) in enumerate(zip(r.losses, curves.trailing_mean(r.losses, 10), strict=True), 1)])
    return alt.Chart(df, title=title).mark_line().encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("loss (smoothed):Q", title="training loss (nats per character, 10-step mean)"),
        color=alt.Color("run:N", title=None, legend=alt.Legend(orient="bottom")))


def _run_facts(run: bughunts.Run) -> str:
    if run.diverged_at:
        return f"**{run.label}**: stopped as diverged. {run.message}"
    parts = [f"**{run.label}**: final loss {run.final_loss:.3f} nats/char (uniform guess {run.start_loss:.3f})",
             f"largest gradient norm {max(run.grad_norms):,.1f}"]
    if run.blew_up_at:
        parts.append(f"loss above twice the uniform guess first at step {run.blew_up_at}")
    return "; ".join(parts) + "."


def bug_hunts(ctx: PageContext) -> None:
    st.header("Bug hunts", divider="gray")
    text, source = practice()
    st.markdown(f"Three broken runs, all real and re-run on this server on {source}. "
                + lesson_text.block(PAGE, "bug-hunts"))
    saved = _saved(ctx, HUNT_QUIZ)
    for hunt in bughunts.HUNTS:
        with st.container(border=True):
            _hunt(ctx, hunt, text, saved.get(hunt.id))


def _saved(ctx: PageContext, quiz: str) -> dict[str, str]:
    try:
        return {q: t for (_, q), t in ctx.store.reflections(ctx.learner.id, quiz).items()}
    except StoreError:
        return {}


@st.fragment
@guard.demo_guard("Bug hunt")
def _hunt(ctx: PageContext, hunt: bughunts.Hunt, text: str, saved: str | None) -> None:
    st.subheader(hunt.title)
    st.markdown(hunt.symptom)
    key = f"m09-bug-{hunt.id}"
    if not st.session_state.get(f"{key}-shown") and not st.button("Show me the run", key=f"{key}-run",
                                                                   icon=":material/play_arrow:"):
        return
    st.session_state[f"{key}-shown"] = True
    if hunt.id == "repeat":
        samples = _cold("ROMEO:\n")
        cold_text, loop = samples[0.0]
        st.code(cold_text, language=None, wrap_lines=True)
        st.caption(f"300 characters from the shipped {COLD_MODEL} after the prompt 'ROMEO:'.")
    else:
        bug = _sgd(text, *RUNS["bug1" if hunt.id == "explode" else "bug2"])
        st.altair_chart(_runs_chart([bug], "The colleague's training loss"), width="stretch")
        st.caption(f"Uniform guess over the vocabulary: ln V = {bug.start_loss:.3f} nats/char. "
                   f"Largest gradient norm seen: {max(bug.grad_norms):,.1f}.")
    diagnosis = st.radio("Diagnosis", range(len(hunt.diagnoses)), format_func=lambda i: hunt.diagnoses[i],
                         index=None, key=f"{key}-diagnosis")
    fix = st.radio("Fix", range(len(hunt.fixes)), format_func=lambda i: hunt.fixes[i], index=None, key=f"{key}-fix")
    if st.button("Check", key=f"{key}-check", disabled=diagnosis is None or fix is None):
        st.session_state[f"{key}-revealed"] = (diagnosis, fix)
        try:
            ctx.store.save_reflection(ctx.learner.id, HUNT_QUIZ, hunt.id,
                                      f"diagnosis: {hunt.diagnoses[diagnosis]}; fix: {hunt.fixes[fix]}")
        except (StoreError, ValueError) as exc:
            show_store_error(exc if isinstance(exc, StoreError) else StoreError(str(exc)))
    revealed = st.session_state.get(f"{key}-revealed")
    if revealed is None:
        if saved:
            st.caption(f"Your saved answer: {saved}")
        return
    right = (revealed[0] == hunt.diagnosis, revealed[1] == hunt.fix)
    verdict = ("Right diagnosis and right fix." if all(right) else
               f"Diagnosis {'right' if right[0] else 'not quite'}, fix {'right' if right[1] else 'not quite'}. "
               f"The answer: {hunt.diagnoses[hunt.diagnosis].lower()}; {hunt.fixes[hunt.fix].lower()}.")
    (st.success if all(right) else st.warning)(verdict)
    _evidence(hunt, text)


def _evidence(hunt: bughunts.Hunt, text: str) -> None:
    lesson.text(PAGE, "evidence")
    if hunt.id == "explode":
        runs = [_sgd(text, *RUNS[k]) for k in ("bug1", "clip", "good")]
        st.altair_chart(_runs_chart(runs, "Same model, same data, same seed"), width="stretch")
        st.markdown("\n".join(f"- {_run_facts(r)}" for r in runs))
        adam = _adam(text, 10.0, 1.0)
        st.markdown(f"- {_run_facts(adam)}")
        bounded = lesson_text.block(PAGE, "explode-bounded") if runs[0].diverged_at is None else runs[0].message
        st.caption(f"{bounded} " + lesson_text.block(PAGE, "explode-adam"))
    elif hunt.id == "stuck":
        runs = [_sgd(text, *RUNS[k]) for k in ("bug2", "good")]
        st.altair_chart(_runs_chart(runs, "A tiny learning rate against a sensible one"), width="stretch")
        st.markdown("\n".join(f"- {_run_facts(r)}" for r in runs))
        st.caption(lesson_text.block(PAGE, "stuck-evidence"))
    else:
        samples = _cold("ROMEO:\n")
        for tau, (sample, loop) in samples.items():
            label = "temperature 0 (greedy: always the top character)" if tau == 0 else f"temperature {tau}"
            st.markdown(f"**{label}**")
            st.code(sample, language=None, wrap_lines=True)
            if loop.period:
                st.caption(f"The last {loop.covered} of {len(sample)} characters ({loop.share(sample):.0%}) "
                           f"repeat the {loop.period}-character piece {loop.unit!r}.")
            else:
                st.caption("No repeating loop at the end of this sample.")
        st.caption(lesson_text.block(PAGE, "repeat-evidence"))


@st.cache_data(show_spinner=False)
def _grid(path: str, mtime: float) -> dict | None:
    return hparams.load(Path(path))


def _label(cell: dict) -> str:
    return f"lr {cell['lr']:g} · hidden {cell['hidden']}"


def hparam_explorer() -> None:
    st.header("Hyperparameter grid explorer", divider="gray")
    path = hparams.RESULTS_FILE
    try:
        results = _grid(str(path), path.stat().st_mtime if path.exists() else 0.0)
    except ValueError as exc:
        st.error(f"The grid results are unreadable: {exc}")
        return
    if results is None:
        st.info("The grid results (checkpoints/hparams.json) are not here yet. Produce them with "
                f"`{hparams.COMMAND}`; nothing is shown in their place.")
        return
    cfg, cells = results["config"], results["cells"]
    best = hparams.best(results)
    st.markdown(f"Each cell is one real training run: a {cfg['layers']}-layer LSTM, {cfg['steps']} steps of "
                f"{cfg['batch']} × {cfg['seq_len']} characters, Adam with clipping at {cfg['clip']:g}, warmup and "
                "cosine decay, the same seed and data for all. " + lesson_text.block(PAGE, "hparam-grid"))
    df = pd.DataFrame([{"lr": f"{c['lr']:g}", "hidden": c["hidden"], "label": _label(c),
                        "val": c["final_val_loss"], "params": c["params"], "cpu_s": c["cpu_s"]} for c in cells])
    pick = alt.selection_point(name="cell", fields=["label"], on="click")
    chart = alt.Chart(df, title="Final validation loss (nats per character)").mark_rect(stroke="white").encode(
        x=alt.X("lr:O", title="peak learning rate", sort=[f"{v:g}" for v in cfg["lrs"]]),
        y=alt.Y("hidden:O", title="hidden units", sort="descending"),
        color=alt.Color("val:Q", title="val loss", scale=alt.Scale(scheme="viridis", reverse=True)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        tooltip=["label", alt.Tooltip("val:Q", title="final val loss", format=".3f"), "params",
                 alt.Tooltip("cpu_s:Q", title="CPU seconds")]).add_params(pick)
    labels = [_label(c) for c in cells]
    key = "m09-hp-cell"
    if key not in st.session_state:
        st.session_state[key] = _label(best)

    def on_click() -> None:
        chosen = st.session_state["m09-hp-chart"].selection.get("cell") or []
        if chosen and chosen[0].get("label") in labels:
            st.session_state[key] = chosen[0]["label"]

    st.altair_chart(chart, width="stretch", on_select=on_click, key="m09-hp-chart")
    st.dataframe(df.pivot(index="hidden", columns="lr", values="val").sort_index(ascending=False)
                 [[f"{v:g}" for v in cfg["lrs"]]].round(3), width="stretch")
    label = st.selectbox("Training curve of", labels, key=key)
    cell = cells[labels.index(label)]
    lines = [{"step": s, "series": "train (20-step mean)", "loss": v}
             for s, v in zip(cell["curve"]["step"], curves.trailing_mean(cell["curve"]["train_loss"], 20), strict=True)]
    lines += [{"step": s, "series": "validation", "loss": v} for s, v in cell["curve"]["evals"]]
    st.altair_chart(alt.Chart(pd.DataFrame(lines), title=f"{label}: loss during training").mark_line(point=True)
                    .encode(x=alt.X("step:Q", title="training step"),
                            y=alt.Y("loss:Q", title="loss (nats per character)", scale=alt.Scale(zero=False)),
                            color=alt.Color("series:N", title=None)), width="stretch")
    val = f"{cell['final_val_loss']:.3f}" if cell["final_val_loss"] is not None else "diverged"
    st.caption(f"{label}: final validation loss {val}, {cell['params']:,} parameters, {cell['cpu_s']} CPU s."
               + (f" {cell['message']}" if cell["message"] else ""))
    st.download_button("Download the best config (JSON)", json.dumps(hparams.best_config(results), indent=2),
                       file_name="best_config.json", mime="application/json", key="m09-hp-download",
                       icon=":material/download:")
    hw = results["hardware"]
    st.caption(f"Best cell: {_label(best)}, validation loss {best['final_val_loss']:.3f}. {len(cells)} runs, "
               f"{results['total_cpu_s'] / 60:.1f} CPU minutes in all, on the first {cfg['chars']:,} characters of "
               f"Tiny Shakespeare (validation: the last {results['val_chars']:,} of them). "
               + lesson_text.block(PAGE, "hparam-caveat"))
    lesson.provenance(f"Produced {results['produced_at']} by `{results['command']}` on {hw['cpu']} "
                      f"({hw['torch_threads']} torch thread, torch {hw['torch']}).")


TIPS = (
    ("small", "Start small (1 layer, about 128 units) and make it overfit a single batch before scaling up."),
    ("lstm", "Prefer a gated cell (LSTM or GRU) to a vanilla RNN for anything beyond short contexts."),
    ("clip", "Clip the global gradient norm (1 to 5) from the first run, not after the first NaN."),
    ("lr", "Use Adam at about 1e-3 to 3e-3 with a short warmup; sweep the learning rate before anything else."),
    ("dropout", "Add dropout between layers (0.2 to 0.5) once the model is large enough to overfit."),
    ("val", "Watch validation loss next to training loss, keep the best checkpoint, and read samples regularly."),
)


def tips(ctx: PageContext) -> None:
    st.header("9.5 Training tips and failure modes", divider="gray")
    lesson.text(PAGE, "tips-checklist")
    saved = _saved(ctx, TIPS_QUIZ)
    for tip_id, text in TIPS:
        key = f"m09-tip-{tip_id}"
        st.checkbox(text, value=saved.get(tip_id) == "done", key=key, on_change=_save_tip, args=(ctx, tip_id, key))
    done = sum(bool(st.session_state.get(f"m09-tip-{t}")) for t, _ in TIPS)
    st.progress(done / len(TIPS), text=f"{done} of {len(TIPS)} habits in place")

    lesson.text(PAGE, "failure-modes")
    names = {h.id: h.title.split(":")[0] for h in bughunts.HUNTS}
    rows = [{**r, "see it happen": names.get(r["see it happen"], "")}
            for r in bughunts.failure_rows(troubleshooting.load())]
    cold = next(h for h in bughunts.HUNTS if h.id == "repeat")
    rows.append({"symptom": "Samples repeat the same short piece over and over",
                 "what to do": f"{cold.diagnoses[cold.diagnosis]}. {cold.fixes[cold.fix]}.",
                 "see it happen": names["repeat"]})
    st.table(pd.DataFrame(rows).set_index("symptom"))  # sentences: a static table wraps them


def _save_tip(ctx: PageContext, tip_id: str, key: str) -> None:
    try:
        ctx.store.save_reflection(ctx.learner.id, TIPS_QUIZ, tip_id, "done" if st.session_state[key] else "")
    except StoreError as exc:
        st.session_state["_save_error"] = str(exc)

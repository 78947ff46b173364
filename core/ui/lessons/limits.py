"""Module 8 demos: the long-range stress test (shipped models, live probe), the live speed benchmark, the sequence
model timeline and the transformer preview (a real tiny trained transformer's attention). Their prose is in
assets/lessons/m08.md; the numbers behind them come from core.lessons (longrange, speedbench)."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st
import torch

from core.course import lessons as lesson_text
from core.course import timeline
from core.data import tasks
from core.lessons import longrange, speedbench
from core.models import inference
from core.training import agreement, checkpoints, stress
from core.ui import charts, guard, jargon, lesson
from core.ui.shell import PageContext

PAGE = "m08"

MODEL_COLORS = alt.Scale(domain=list(stress.MODELS), range=["#e45756", "#4c78a8", "#54a24b", "#b279a2"])
BENCH_COLORS = alt.Scale(domain=list(speedbench.MODELS), range=["#4c78a8", "#f58518"])


# ---------------------------------------------------------------- stress test
def _entry(name: str) -> dict | None:
    try:
        return checkpoints.entry(name)
    except checkpoints.CheckpointError:
        return None


@st.cache_resource(show_spinner="Loading the stress-test models...")
def stress_models() -> tuple[dict, dict]:
    inference.configure_threads()
    models, entry = stress.load()
    for m in models.values():
        inference.prepare(m, torch.device("cpu"))
    return models, entry


@st.cache_data(show_spinner=False, max_entries=256)
def _probe(distance: int, attractors: float, seed: int, sha: str) -> dict:
    models, _ = stress_models()
    with inference.inference():
        return stress.probe(models, distance, attractors, n=80, seed=seed)  # ~0.2 s CPU at distance 100


def _accuracy_axis() -> alt.Y:
    """A y-axis title shorter than the plot is tall: a longer one pushes the chart's title out of its frame (seen
    at 1280 and 390 px; tests/e2e/test_page_frames.py measures it)."""
    return alt.Y("accuracy:Q", title="accuracy (share correct)", scale=alt.Scale(domain=[0, 1]))


def _fixed_chart(fixed: dict, steps: int) -> alt.Chart:
    rows = stress.fixed_rows(fixed)
    df, mean = pd.DataFrame(rows), pd.DataFrame(longrange.mean_accuracy(rows))
    x = alt.X("distance:Q", title="distance from cue to question (tokens, log scale)", scale=alt.Scale(type="log"))
    y = _accuracy_axis()
    color = alt.Color("model:N", scale=MODEL_COLORS, title="model")
    lines = alt.Chart(mean).mark_line().encode(x=x, y=y, color=color)
    dots = alt.Chart(df).mark_circle(size=60, opacity=0.7).encode(
        x=x, y=y, color=color, tooltip=["model", "distance", "seed", alt.Tooltip("accuracy:Q", format=".3f")])
    chance = alt.Chart(pd.DataFrame({"y": [1 / len(tasks.CUES)]})).mark_rule(strokeDash=[4, 4], color="gray").encode(
        y="y:Q")
    return (lines + dots + chance).properties(title=f"Trained at one distance only, {steps} steps each", height=240)


def _mixed_chart(mixed: dict) -> alt.Chart:
    df = pd.DataFrame([{"model": m, "distance": int(d), "accuracy": a} for m, per in mixed.items()
                       for d, a in per.items()])
    return alt.Chart(df, title="Trained on distances 1-100, tested to 1,000").mark_line(point=True).encode(
        x=alt.X("distance:Q", title="distance from cue to question (tokens, log scale)", scale=alt.Scale(type="log")),
        y=_accuracy_axis(),
        color=alt.Color("model:N", scale=MODEL_COLORS, title="model"),
        strokeDash=alt.StrokeDash("model:N", legend=None),
        tooltip=["model", "distance", alt.Tooltip("accuracy:Q", format=".3f")]).properties(height=220)


@st.cache_data(show_spinner=False, max_entries=8)
def _stress_specs(sha: str) -> tuple[dict, dict]:
    """Vega-Lite specs of the two stored-result charts (built once per checkpoint: rebuilding costs ~80 ms each)."""
    m, cfg = _entry(stress.RECIPE)["metrics"], _entry(stress.RECIPE)["config"]
    return ({**_fixed_chart(m["fixed_distance_accuracy"], cfg["fixed_steps"]).to_dict(), **charts.FIT_X},
            {**_mixed_chart(m["accuracy_vs_distance"]).to_dict(), **charts.FIT_X})


@st.fragment
@guard.demo_guard("Long-range stress test")
def stress_test() -> None:
    st.subheader("Long-range dependency stress test",
                 help=jargon.tip("Vanishing gradient", "LSTM", "Attention mechanism"))
    entry = _entry(stress.RECIPE)
    if entry is None:
        guard.not_installed("The stress-test checkpoint", "python -m core.train --recipe longrange-stress")
        return
    cfg, m = entry["config"], entry["metrics"]
    st.markdown(lesson_text.block(PAGE, "stress-task") + f" Four models of the same hidden size ({cfg['hidden']}) "
                "get exactly the same data stream, optimiser and number of steps: a vanilla RNN, an LSTM, a GRU, "
                "and a GRU whose last state can also attend to all earlier states.")
    fixed_spec, mixed_spec = _stress_specs(entry["sha256"])
    st.vega_lite_chart(fixed_spec, width="stretch")
    st.caption(f"Each dot is one trained model (one seed), scored on {m['eval']}; lines join the mean of the "
               "seeds; the dashed line is chance (one in four).")
    learned = longrange.seeds_learned(m["fixed_distance_accuracy"])
    grid = pd.DataFrame({name: {d: f"{k}/{n}" for d, (k, n) in per.items()} for name, per in learned.items()}).T
    st.markdown("**Seeds that learned the dependency (at least 90 % accuracy), by training distance:**")
    st.dataframe(grid[sorted(grid.columns)], width="content")
    lesson.text(PAGE, "stress-reading")
    with st.expander("Second experiment: what if short examples are mixed in?", icon=":material/science:"):
        st.vega_lite_chart(mixed_spec, width="stretch")
        st.markdown(f"Here each model was trained for {cfg['steps']} steps on distances drawn between 1 and "
                    f"{cfg['max_distance']}, so it also saw easy, short cases. " + lesson_text.block(PAGE, "stress-mixed"))
    lesson.text(PAGE, "stress-live")
    distances = sorted({int(d) for per in m["fixed_distance_accuracy"].values() for d in per})
    c1, c2, c3 = st.columns(3)
    distance = c1.select_slider("distance (tokens between cue and question)", distances,
                                value=20 if 20 in distances else distances[0], key="m08-stress-distance")
    attractors = c2.slider("share of distractors that are other cue letters", 0.0, 0.5, 0.1, 0.05,
                           key="m08-stress-attractors", help="The models were trained with 10 %.")
    seed = c3.number_input("sequence seed", 0, 10_000, 0, key="m08-stress-seed")
    try:
        result = _probe(int(distance), float(attractors), int(seed), entry["sha256"])
    except (checkpoints.CheckpointError, ValueError) as exc:
        st.error(f"The live check could not run: {exc}")
        return
    shown = result["example"] if len(result["example"]) <= 120 else result["example"][:60] + " … " + \
        result["example"][-40:]
    st.code(shown, language=None)
    st.caption(f"Correct answer for this example: **{result['answer']}**. Accuracy below is on {result['n']} fresh "
               "sequences with these settings.")
    table = pd.DataFrame(result["rows"])
    st.dataframe(table, hide_index=True, column_config={
        "accuracy": st.column_config.ProgressColumn("accuracy", format="%.2f", min_value=0.0, max_value=1.0),
        "confidence": st.column_config.NumberColumn("confidence", format="%.2f")})
    st.caption(f"The tables above are the checkpoint's stored evaluation ({m['eval']}).")
    lesson.provenance(f"Checkpoint produced {entry.get('produced_at', '?')} by `{entry['recipe']['command']}` "
                      f"({entry['recipe']['script']}).")


# ---------------------------------------------------------------- speed benchmark
@st.cache_resource
def _bench_results() -> dict:
    """device label -> latest benchmark result on it (shared by sessions: it describes the machine, not a learner)."""
    return {}


def _bench_charts(result: speedbench.BenchResult) -> alt.Chart:
    df = pd.DataFrame(result.rows)
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("length:Q", title="sequence length (tokens, log scale)", scale=alt.Scale(type="log", base=2)),
        y=alt.Y("ms_per_sequence:Q", title="time per sequence (ms, log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("model:N", scale=BENCH_COLORS, title="model"),
        tooltip=["model", "mode", "length", alt.Tooltip("ms_per_sequence:Q", format=".3f", title="ms / sequence"),
                 "sequential_steps"],
    ).properties(width=300, height=260).facet(column=alt.Column("mode:N", title=None)).properties(
        title=f"Measured on {result.device}: median of {result.config['repeats']} runs")


def _bench_summary(result: speedbench.BenchResult) -> str:
    lstm, encoder = speedbench.MODELS
    return "\n".join(
        f"- **{s.mode}:** from the shortest to the longest length, the LSTM's time grew {s.growth[lstm]:.1f}×, "
        f"the transformer's {s.growth[encoder]:.1f}×. At length {s.longest} the {s.faster} was faster "
        f"({s.ms_at_longest[lstm]:.2f} vs {s.ms_at_longest[encoder]:.2f} ms per sequence, LSTM vs transformer)."
        for s in speedbench.summary(result.rows))


@st.fragment
def speed_benchmark() -> None:
    st.subheader("RNN vs transformer speed comparison", help=jargon.tip("Transformer"))
    device = inference.choose_device()
    label = speedbench.device_label(device)
    lesson.text(PAGE, "bench-intro")
    st.markdown(f"**Device this page runs on:** `{label}`")
    c1, c2, c3 = st.columns(3)
    longest = c1.select_slider("longest length", list(speedbench.LENGTHS[1:]), value=512, key="m08-bench-longest",
                               help="Lengths double from 16 up to this. 1024 takes noticeably longer on a CPU.")
    width = c2.select_slider("width (hidden size = model size)", [32, 64, 128], value=64, key="m08-bench-width")
    layers = c3.select_slider("layers", [1, 2], value=1, key="m08-bench-layers")
    cfg = speedbench.BenchConfig(lengths=speedbench.lengths_up_to(longest), width=int(width), layers=int(layers))
    store = _bench_results()
    if st.button("Run the benchmark", key="m08-bench-run", icon=":material/speed:", type="primary"):
        bar = st.progress(0.0, text="Starting...")
        inference.configure_threads()
        try:
            result = speedbench.run(cfg, device, on_step=lambda f, what: bar.progress(f, text=f"Timed {what}"))
        except (RuntimeError, ValueError) as exc:  # e.g. out of memory on a small GPU
            bar.empty()
            st.error(f"The benchmark could not finish on this device: {exc}")
            return
        bar.empty()
        store[label] = (result, dt.datetime.now(dt.UTC))
    if label not in store:
        st.info("Press **Run the benchmark** to measure (a few seconds on a laptop CPU). The latest result on this "
                "device is kept for everyone using this server.", icon=":material/timer:")
        return
    result, when = store[label]
    st.altair_chart(_bench_charts(result), width="stretch")
    st.markdown(_bench_summary(result))
    lesson.text(PAGE, "bench-sequential")
    seq = pd.DataFrame([{"length": r["length"], "model": r["model"], "steps that must wait for the previous one":
                         r["sequential_steps"]} for r in result.rows if r["mode"] == "forward"])
    st.dataframe(seq.pivot(index="length", columns="model", values="steps that must wait for the previous one"),
                 width="content")
    if result.gpu:
        st.markdown("**GPU:** peak memory per model (MiB, by length): " + str(result.gpu.get("peak_memory_mib")) +
                    ". " + result.gpu.get("utilization_note", "The `gpu_busy_percent` column below is NVIDIA's "
                                          "utilisation reading: the share of time any kernel was running, not how "
                                          "many of the GPU's cores were busy."))
    elif device.type == "cpu":
        busy = speedbench.busy_factor(result.rows)
        if busy > 1.5 and "(1 torch thread)" in result.device:  # other threads escape thread_time
            st.warning(f"This server was busy during the run: wall-clock times were {busy:.1f}× the CPU time the "
                       "benchmark itself used, so the timings above are inflated and noisy. Run it again when it is "
                       "quieter, or compare the `cpu_ms_per_sequence` column below.", icon=":material/hourglass:")
        st.caption(lesson_text.block(PAGE, "bench-no-gpu"))
    with st.expander("All measurements"):
        st.dataframe(pd.DataFrame(result.rows), hide_index=True)
    st.caption(f"Measured {when:%Y-%m-%d %H:%M} UTC on `{result.device}` in {result.seconds:.1f} s; batch "
               f"{result.config['batch']}, {result.config['repeats']} timed runs after a warm-up, median reported; "
               f"parameters: {result.params}. Code: core/lessons/speedbench.py. Timings vary with load on a shared server.")


# ---------------------------------------------------------------- timeline
IN_COURSE = {"elman": "m02", "vanishing": "m03", "lstm": "m03", "seq2seq": "m07", "attention": "m07",
             "charrnn": "m04", "transformer": "m08", "pretrain": "m04", "chatgpt": "m04", "ssm": "m08"}


@st.cache_data(show_spinner=False, max_entries=32)
def _timeline_spec(chosen: str) -> dict:
    df = pd.DataFrame([{"year": m.year, "title": m.title, "era": m.era, "chosen": m.id == chosen}
                       for m in timeline.load()])
    chart = alt.Chart(df, title="From recurrence to attention").mark_circle().encode(
        x=alt.X("year:Q", title="year", scale=alt.Scale(domain=[1988, 2025]), axis=alt.Axis(format="d")),
        y=alt.Y("era:N", title="family"), color=alt.Color("era:N", legend=None),
        size=alt.condition("datum.chosen", alt.value(420), alt.value(90)), tooltip=["year", "title"])
    return {**chart.properties(height=90).to_dict(), **charts.FIT_X}  # the plot keeps its 90 px


@st.fragment
def sequence_timeline(ctx: PageContext) -> None:
    st.subheader("Sequence model timeline")
    items = timeline.load()
    ids = [m.id for m in items]
    chosen = st.radio("Milestone", ids, index=ids.index("transformer"), key="m08-milestone", horizontal=True,
                      format_func=lambda i: next(f"{m.year} · {m.title.split(':')[0]}" for m in items if m.id == i))
    st.vega_lite_chart(_timeline_spec(chosen), width="stretch")
    m = next(m for m in items if m.id == chosen)
    st.markdown(f"**{m.year} · {m.title}.** {m.what} {m.why}")
    st.caption(f"Key work: {m.source}")
    page = ctx.course.pages.get(IN_COURSE.get(m.id, ""))
    if page is not None and page.id != ctx.page.id:
        st.page_link(page.file, label=f"See it in this course: {page.heading}", icon=":material/school:")


# ---------------------------------------------------------------- transformer preview
@st.cache_resource(show_spinner="Loading the tiny transformer...")
def agreement_model() -> tuple[torch.nn.Module, dict]:
    inference.configure_threads()
    model, entry = agreement.load()
    return inference.prepare(model, torch.device("cpu")), entry


@st.cache_resource
def _untrained(cfg: tuple) -> torch.nn.Module:
    model = agreement.untrained(agreement.TinyTransformerConfig(**dict(cfg)))
    return inference.prepare(model, torch.device("cpu"))


@st.cache_data(show_spinner=False, max_entries=128)
def _preview(words: tuple[str, ...], which: str, sha: str) -> tuple[list[float], list, list[list[dict]]]:
    """(probabilities, attention maps, heatmap specs per layer and head) for one sentence and weight choice."""
    trained, _ = agreement_model()
    model = trained if which == "trained" else _untrained(tuple(sorted(trained.cfg.to_dict().items())))
    probs, maps = agreement.predict(model, words)
    return probs, maps, [[{**_heatmap(words, head, li, hi).to_dict(), **charts.FIT_X} for hi, head in enumerate(layer)]
                         for li, layer in enumerate(maps)]


def _heatmap(words: tuple[str, ...], head: list, li: int, hi: int) -> alt.Chart:
    """One head's attention map. One chart per head, laid out in Streamlit columns, so the maps fill a desktop
    column side by side and stack on a phone (a faceted grid has a fixed width: 830 px, cut at 390)."""
    labels = [f"{i:02d} {w}" for i, w in enumerate(words)]
    rows = [{"layer": f"layer {li + 1}", "head": f"head {hi + 1}", "query (looking)": labels[q],
             "key (looked at)": labels[k], "weight": w}
            for q, row in enumerate(head) for k, w in enumerate(row)]
    return alt.Chart(pd.DataFrame(rows), title=f"Layer {li + 1}, head {hi + 1}").mark_rect().encode(
        x=alt.X("key (looked at):N", sort=labels, title="position looked at"),
        y=alt.Y("query (looking):N", sort=labels, title="position looking"),
        color=alt.Color("weight:Q", title="attention weight (0-1)", scale=alt.Scale(domain=[0, 1], scheme="blues"),
                        legend=alt.Legend(orient="bottom", gradientLength=160)),
        tooltip=["layer", "head", "query (looking)", "key (looked at)", alt.Tooltip("weight:Q", format=".3f")],
    ).properties(height=22 * len(words))  # one 22 px row per word; labels, legend and title come on top (FIT_X)


@st.fragment
@guard.demo_guard("Transformer preview")
def transformer_preview() -> None:
    st.subheader("Transformer preview: self-attention on a sentence", help=jargon.tip("Self-attention", "Positional encoding"))
    entry = _entry(agreement.RECIPE)
    if entry is None:
        guard.not_installed("The tiny transformer checkpoint",
                            "python -m core.train --recipe agreement-transformer (about a minute of CPU time)")
        return
    try:
        _, entry = agreement_model()
    except checkpoints.CheckpointError as exc:
        guard.report("agreement-transformer", exc)
        return
    met = entry["metrics"]
    st.markdown(f"A two-layer transformer encoder with {entry['params']:,} parameters, trained for "
                f"{entry['training']['cpu_s']:.0f} CPU-seconds on generated sentences, decides whether the verb at "
                "the end should be singular (*is*) or plural (*are*). " + lesson_text.block(PAGE, "preview-task"))
    ex = longrange.examples()
    c1, c2 = st.columns([3, 1])
    options = [" ".join(s.words[:-1]) for s in ex] + ["(type your own)"]
    pick = c1.selectbox("Sentence", options, key="m08-tf-sentence")
    which = c2.radio("Weights", ["trained", "untrained"], key="m08-tf-weights",
                     help="Untrained: the same architecture at its random initialisation.")
    sentence = ex[options.index(pick)] if pick in options[:-1] else None
    if sentence is None:
        text = st.text_input("Your sentence (the verb slot is added at the end)", "the keys near the old cabinet",
                             key="m08-tf-text", max_chars=300,
                             help="Words the model knows: " + ", ".join(w for w in agreement.WORDS if "<" not in w))
        try:
            words = agreement.parse(text)
        except ValueError as exc:
            st.warning(str(exc))
            return
    else:
        words = sentence.words
    probs, maps, heat_specs = _preview(tuple(words), which, entry["sha256"])
    verdict = agreement.LABELS[int(probs[1] > probs[0])]
    line = f"**Prediction:** {verdict} with probability {max(probs):.2f}."
    if sentence is not None:
        line += (f" Correct: **{agreement.LABELS[sentence.label]}** (subject: *{sentence.words[sentence.subject]}*, "
                 f"position {sentence.subject}).")
        shares = longrange.attention_on(maps, sentence.subject)
        line += f" The verb slot's attention on the subject, per head: {', '.join(f'{s:.2f}' for s in shares)}."
    st.markdown(line)
    st.markdown("**Self-attention weights per layer and head** (each row sums to 1)")
    for layer_specs in heat_specs:
        for column, spec in zip(st.columns(len(layer_specs)), layer_specs, strict=True):
            column.vega_lite_chart(spec, width="stretch")
    by_mod = ", ".join(f"{k} phrases {v:.1%}" for k, v in met["accuracy_by_modifiers"].items())
    on_subject = "; ".join(f"layer {li} " + ", ".join(f"head {hi} {v:.2f}" for hi, v in enumerate(row, 1))
                           for li, row in enumerate(met["attention_on_subject"], 1))
    st.caption("Read the bottom row of each map: it is where the verb slot looks. On the shipped evaluation "
               f"({met['eval']}) the trained model scored {met['hard_case_accuracy']:.1%} on the {met['hard_cases']:,} "
               "sentences whose nearest noun has the wrong number; accuracy by number of phrases between subject "
               f"and verb: {by_mod} (trained on 0-3). Mean attention of the verb slot on the "
               f"subject: {on_subject}.")
    lesson.provenance(f"Recipe: `{entry['recipe']['command']}`.")
    lesson.text(PAGE, "rnn-vs-transformer")

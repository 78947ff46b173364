"""Module 7's Neural Turing Machine simulator: the shipped `ntm-copy` model copying a sequence, with its read and
write weightings over memory per step, and the measured bit errors by length and memory size. The prose is in
assets/lessons/m07.md."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.course import lessons
from core.lessons import shipped
from core.models import inference
from core.training import ntm as ntm_training
from core.ui import charts, guard, lesson


@st.cache_resource(show_spinner="Loading the Neural Turing Machine...")
def get_ntm():
    inference.configure_threads()
    model, entry = ntm_training.load()
    return inference.prepare(model), entry


@st.cache_data(show_spinner=False, max_entries=256)
def copy_run(length: int, slots: int, seed: int) -> ntm_training.CopyRun:
    model, _ = get_ntm()
    with inference.inference():
        return ntm_training.copy_demo(model, length, slots, seed)


def _grid(matrix: list[list[float]], row_name: str, col_name: str, title: str, value: str) -> alt.Chart:
    df = pd.DataFrame([{row_name: r + 1, col_name: c + 1, value: v} for r, row in enumerate(matrix)
                       for c, v in enumerate(row)])
    return alt.Chart(df, title=title).mark_rect().encode(
        x=alt.X(f"{col_name}:O", title=col_name), y=alt.Y(f"{row_name}:O", title=row_name),
        color=alt.Color(f"{value}:Q", scale=charts.HEAT, title=value),
        tooltip=[row_name, col_name, alt.Tooltip(f"{value}:Q", format=".3f")])


@st.cache_data(show_spinner=False, max_entries=256)
def _ntm_specs(length: int, slots: int, seed: int) -> list[dict]:
    run = copy_run(length, slots, seed)
    rows, steps = alt.Step(14), alt.Step(9)  # pixels per vector / per time step
    return [_grid(run.inputs, "vector", "bit", "Input: the vectors to copy", "bit value (0 or 1)")
            .properties(height=rows).to_dict(),
            _grid(run.outputs, "vector", "bit", "Output: the model's copy", "P(bit = 1)").properties(height=rows)
            .to_dict(),
            _grid(run.write_weights, "time step", "memory slot", "Write head: where it wrote", "write weight (0–1)")
            .properties(height=steps).to_dict(),
            _grid(run.read_weights, "time step", "memory slot", "Read head: where it read", "read weight (0–1)")
            .properties(height=steps).to_dict()]


@st.cache_data(show_spinner=False)
def _ntm_errors_spec(sha256: str) -> dict:
    """The manifest's measured bit errors (keyed by the checkpoint's hash, so a retrained model redraws)."""
    _, entry = get_ntm()
    by_slots = entry["metrics"]["bit_errors_by_memory_slots"]
    df = pd.DataFrame([{"memory slots N": f"N = {n}", "sequence length": int(k), "bit errors": v}
                       for n, per in by_slots.items() for k, v in per.items()])
    return alt.Chart(df, title="Measured: wrong bits per sequence by length and memory size").mark_line(
        point=True).encode(
        x=alt.X("sequence length:Q", title="sequence length (vectors)"),
        y=alt.Y("bit errors:Q", title=f"wrong bits per sequence (of length × {entry['config']['bits']})"),
        color=alt.Color("memory slots N:N", sort=[f"N = {n}" for n in by_slots], title=None),
        tooltip=["memory slots N", "sequence length", "bit errors"]).to_dict()


@st.fragment
@guard.demo_guard("Neural Turing Machine simulator")
def ntm_simulator() -> None:
    st.subheader("Neural Turing Machine simulator")
    if not shipped.is_shipped(ntm_training.RECIPE, ntm_training.MODEL_TYPE):
        guard.not_installed(f"The {ntm_training.RECIPE} checkpoint", f"python -m core.train --recipe {ntm_training.RECIPE}")
        return
    model, entry = get_ntm()
    cfg = model.cfg
    st.markdown(f"A small NTM trained in this course: an LSTM controller ({cfg.hidden} units) with one write "
                f"head and one read head on a memory of N slots × {cfg.memory_width} numbers. The task is "
                f"**copy**: it sees a sequence of random {cfg.bits}-bit vectors, then an end marker, and must "
                "then write the same vectors back with no input at all. "
                + lessons.block("m07", "ntm-copy-needs-memory"))
    tr = entry["training"]
    rec = entry["recipe"]["train_config"]
    st.caption(f"Trained for {tr['steps']:,} steps ({tr['sequences_seen']:,} sequences, {tr['cpu_s']:.0f} CPU "
               f"seconds on one thread) on lengths {rec['min_len']}–{rec['max_len']} with "
               f"{rec['memory_range'][0]}–{rec['memory_range'][1]} memory slots.")
    lesson.provenance(f"`{entry['recipe']['command']}` reproduces it.")
    cols = st.columns(3)
    length = cols[0].slider("sequence length", 1, 20, 6, key="m07-ntm-len")
    slots = cols[1].slider("memory slots N", 2, 40, cfg.memory_slots, key="m07-ntm-slots")
    seed = int(cols[2].number_input("sequence number (seed)", 0, 10_000, 0, 1, key="m07-ntm-seed"))
    run = copy_run(length, slots, seed)
    steps = len(run.read_weights)  # 2L + 1
    c = st.columns(3)
    c[0].metric("wrong bits in the copy", f"{run.wrong_bits} of {length * cfg.bits}")
    c[1].metric("vectors / memory slots", f"{length} / {slots}")
    c[2].metric("trained on lengths", f"{rec['min_len']}–{rec['max_len']}")
    specs = _ntm_specs(length, slots, seed)
    left, right = st.columns(2)
    for i, spec in enumerate(specs):
        (left if i % 2 == 0 else right).vega_lite_chart(spec, width="stretch")
    st.caption(f"Time steps 1–{length} present the input, step {length + 1} is the end marker, steps "
               f"{length + 2}–{steps} are the copy. " + lessons.block("m07", "ntm-clean-run"))
    charts.draw_spec(_ntm_errors_spec(entry["sha256"]))
    st.caption(f"{entry['metrics']['test']}. Measured on the shipped float16 weights when the checkpoint was "
               f"made ({entry['produced_at'][:10]}). " + lessons.block("m07", "ntm-generalise"))

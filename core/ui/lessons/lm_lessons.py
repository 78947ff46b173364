"""Module 4 and 5 lesson widgets around training: the training timelapse and the iteration scrubber (real snapshots
of the War and Peace run), the perplexity challenges (trained and judged on the server) and the table linking this
module to today's LLM tools. Lesson text: assets/lessons/m04.md and m05.md."""

from __future__ import annotations

import dataclasses
import json

import altair as alt
import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.course import lessons, modern_ai
from core.data.corpora import CorpusError, corpus_path
from core.jobs import registry as jobs
from core.lessons import lm_challenges, timelapse
from core.models import inference
from core.training import checkpoints
from core.ui import charts, guard, lesson
from core.ui.shell import PageContext, show_store_error

RUN = "warpeace-lstm"
CHALLENGE_CORPUS = "tinyshakespeare"
CHALLENGE_QUIZ = "m04-challenges"


def _run_entry(name: str) -> dict | None:
    """The run's manifest entry (core.training.checkpoints re-reads the manifest when it changes: new snapshots appear
    without a restart)."""
    try:
        return checkpoints.entry(name)
    except checkpoints.CheckpointError:
        return None


@st.cache_resource(show_spinner=False)
def _reference() -> timelapse.Reference:
    return timelapse.load_reference()


def _snapshots() -> tuple[dict | None, list[timelapse.Snapshot]]:
    entry = _run_entry(RUN)
    return entry, timelapse.snapshots_of(entry) if entry else []


def _no_snapshots() -> None:
    guard.not_installed(f"The snapshot run {RUN}", f"python -m core.train --recipe {RUN}")


def _default_tau(taus: list[str]) -> int:
    return taus.index("0.8") if "0.8" in taus else len(taus) // 2


@st.cache_data(show_spinner=False, max_entries=64)
def _loss_specs(sha256: str, iteration: int, tau: str) -> tuple[dict, dict]:
    """The loss chart and the milestone strip as Vega-Lite dicts: Altair's schema validation costs ~0.4 s a chart,
    so it runs once per (checkpoint version, iteration, temperature) and the dicts are reused."""
    entry = _run_entry(RUN)
    first = timelapse.first_reached(timelapse.snapshots_of(entry), _reference(), tau)
    loss, strip = _loss_charts(entry, iteration, first)
    # FIT_X: with Streamlit's default ("fit") the title, axes and legend were squeezed into the given height, and
    # the strip hid 3 of its 7 milestone names.
    return {**loss.to_dict(), **charts.FIT_X}, {**strip.to_dict(), **charts.FIT_X}


AXIS_EXTENT = 150  # px left of both plots, so their x axes line up when both fill the column


def _loss_charts(entry: dict, iteration: int, first: dict[str, int | None]) -> tuple[alt.LayerChart, alt.LayerChart]:
    """The loss curves over iterations, and under them one row per milestone with a dot where it was first
    detected; a dashed rule marks the selected snapshot on both. Two charts, each as wide as the column (a
    concatenated pair cannot stretch, and at a fixed 560 px it was cut on a 390 px phone), with the same y-axis
    extent so their x axes line up."""
    df = pd.DataFrame(timelapse.loss_curve(entry))
    tc = entry.get("recipe", {}).get("train_config", {})
    unit = f" (updates of {tc['batch']} × {tc['seq_len']} characters)" if {"batch", "seq_len"} <= set(tc) else ""
    x = alt.X("step:Q", title=["training iteration", unit.strip()] if unit else "training iteration",
              scale=alt.Scale(domain=[0, int(df["step"].max())]))
    rule = alt.Chart(pd.DataFrame({"step": [iteration]})).mark_rule(color="black", strokeDash=[4, 3]).encode(x=x)
    extent = {"minExtent": AXIS_EXTENT, "maxExtent": AXIS_EXTENT}
    base = alt.Chart(df).encode(
        # The axis title takes ~24 px beside the extent: the strip below has none, so this extent is that much less.
        x=x, y=alt.Y("loss:Q", title="nats per character", scale=alt.Scale(zero=False),  # shorter than the plot
                     axis=alt.Axis(minExtent=AXIS_EXTENT - 24, maxExtent=AXIS_EXTENT - 24)),
        # Short legend labels: the legend sits under the plot, which starts AXIS_EXTENT in (a 390 px phone cut the
        # long names).
        color=alt.Color("series:N", legend=alt.Legend(
            title=None, orient="bottom", direction="vertical",
            labelExpr="replace(replace(datum.label, 'validation loss at a snapshot', 'validation, at snapshots'), "
                      "'training loss (smoothed)', 'training (smoothed)')")),
        tooltip=["series", "step", alt.Tooltip("loss:Q", format=".3f")])
    loss = alt.layer(base.transform_filter(alt.datum.series == "training loss (smoothed)").mark_line(),
                     base.transform_filter(alt.datum.series != "training loss (smoothed)")
                     .mark_point(filled=True, size=60), rule).properties(
        title=f"{RUN}: loss during training", height=300)
    labels = [m.label for m in timelapse.MILESTONES]
    found = pd.DataFrame([{"step": first[m.key], "milestone": m.label} for m in timelapse.MILESTONES
                          if first[m.key] is not None], columns=["step", "milestone"])
    y = alt.Y("milestone:N", sort=labels, title=None, scale=alt.Scale(domain=labels),
              axis=alt.Axis(labelLimit=AXIS_EXTENT - 6, **extent))
    strip = alt.layer(
        alt.Chart(found).mark_point(filled=True, size=90, shape="diamond", color="#2e7d32")
        .encode(x=x, y=y, tooltip=["milestone", alt.Tooltip("step:Q", title="first detected at iteration")]),
        rule).properties(title="Milestones, first passed at",
                         height=24 * len(labels))
    return loss, strip


@st.fragment
def training_timelapse() -> None:
    st.subheader("Training timelapse")
    entry, snaps = _snapshots()
    if not snaps:
        _no_snapshots()
        return
    cfg = entry.get("config", {})
    network = f"{cfg.get('layers', '?')}-layer {str(cfg.get('kind', '')).upper()}, {cfg.get('hidden', '?')} units"
    st.markdown(f"**{network} per layer.** " + lessons.block("m04", "timelapse-intro"))
    taus = timelapse.temperatures(snaps)
    iters = [s.iteration for s in snaps]
    cols = st.columns([3, 1])
    it = cols[0].select_slider("training iteration", options=iters, value=iters[-1], key="m04-tl-iter")
    tau = cols[1].radio("temperature τ", taus, index=_default_tau(taus), horizontal=True, key="m04-tl-tau")
    ref = _reference()
    first = timelapse.first_reached(snaps, ref, tau)
    loss_spec, strip_spec = _loss_specs(entry["sha256"], it, tau)
    charts.show_spec(loss_spec)
    charts.show_spec(strip_spec)
    snap = next(s for s in snaps if s.iteration == it)
    stats = timelapse.text_stats(snap.samples[tau], ref.words)
    left, right = st.columns([3, 2])
    left.code(snap.samples[tau], language=None, wrap_lines=True)
    left.caption(f"Sample of iteration {it} at τ = {tau}: {len(snap.samples[tau])} characters, generated when the "
                 "snapshot was saved, from the same start and seed at every snapshot.")
    with right:
        m = st.columns(2)
        if snap.val_loss is not None:
            m[0].metric("validation loss here", f"{snap.val_loss:.3f} nats",
                       help="Cross-entropy on the first 50,000 held-out characters, measured when the snapshot was saved.")
        m[1].metric("real words (2+ letters)", f"{stats.real_word_share:.0%}")
        passed = {mm.key: mm.passed(stats, ref.rates) for mm in timelapse.MILESTONES}
        st.markdown("\n".join(
            f"- {':material/check_circle:' if passed[mm.key] else ':material/radio_button_unchecked:'} "
            f"**{mm.label}** · first at "
            f"{first[mm.key] if first[mm.key] is not None else f'none by {iters[-1]}'}" for mm in timelapse.MILESTONES))
    with st.expander("How the milestones are measured"):
        st.markdown("\n".join(f"- **{m.label}**: {m.rule}." for m in timelapse.MILESTONES))
        st.caption(f"Reference rates and the word list ({len(ref.words):,} words seen at least "
                   f"{timelapse.MIN_WORD_COUNT} times) come from {ref.source}. "
                   f"Each snapshot has a single {len(snap.samples[tau])}-character sample per temperature, so a "
                   "milestone can pass at one snapshot and fail at the next by chance.")
    rec = entry.get("recipe", {})
    lesson.provenance(f"Recipe: `{rec.get('command', '')}`; {entry.get('params', 0):,} parameters; produced "
                      f"{entry.get('produced_at', '?')}. {rec.get('notes', '')}")


@st.fragment
def iteration_scrubber() -> None:
    st.subheader("Training iteration scrubber")
    entry, snaps = _snapshots()
    if not snaps:
        _no_snapshots()
        return
    lesson.text("m05", "scrubber-intro")
    iters = [s.iteration for s in snaps]
    it = st.select_slider("snapshot (training iteration)", options=iters, value=iters[min(1, len(iters) - 1)],
                          key="m05-scrub-iter")
    k = iters.index(it)
    snap = snaps[k]
    taus = timelapse.temperatures(snaps)
    ref = _reference()
    cols = st.columns(len(taus))
    for col, tau in zip(cols, taus, strict=True):
        col.markdown(f"**τ = {tau}**")
        col.code(snap.samples[tau], language=None, wrap_lines=True)
    if snap.val_loss is not None:
        prev = snaps[k - 1].val_loss if k > 0 else None
        st.metric("validation loss (first 50k held-out characters)", f"{snap.val_loss:.3f} nats/char",
                  delta=None if prev is None else f"{snap.val_loss - prev:+.3f} since iteration {iters[k - 1]}",
                  delta_color="inverse")
    tau = st.radio("milestones measured at τ", taus, index=_default_tau(taus), horizontal=True, key="m05-scrub-tau")
    rows = timelapse.milestone_table(snaps, ref, tau)
    table = pd.DataFrame({m.label: ["✓" if r["passed"][m.key] else "·" for r in rows] for m in timelapse.MILESTONES},
                         index=[f"{r['iteration']}" + (" ◀" if r["iteration"] == it else "") for r in rows]).T
    st.dataframe(table, width="stretch")
    new = timelapse.new_at(rows, k)
    st.caption(("New at this snapshot: " + ", ".join(new) + ". ") if new else "No milestone is new at this snapshot. ")
    st.caption(f"{len(iters)} snapshots listed in the manifest entry of {RUN}; tests as in Module 4's timelapse.")


def _cell(text: object) -> str:
    """Text made safe for one cell of a Markdown table."""
    return str(text).replace("|", "\\|").replace("\n", " ")


@st.cache_data(show_spinner=False)
def _modern_ai() -> dict:
    return modern_ai.load()


def modern_ai_table() -> None:
    data = _modern_ai()
    st.subheader(data["title"])
    st.markdown(data["intro"])
    rows = ["| " + " | ".join(_cell(r[f]) for f in modern_ai.FIELDS) + " |" for r in data["rows"]]
    st.markdown("| When you see | The idea underneath | What it does | Try it here |\n|---|---|---|---|\n"
                + "\n".join(rows))


# ------------------------------------------------------------------------------------------------ challenges


def _challenge_text() -> str | None:
    try:
        return corpus_path(CHALLENGE_CORPUS, download=False).read_text(encoding="utf-8")
    except CorpusError:
        return None


def _saved(ctx: PageContext) -> dict[int, dict]:
    try:
        rows = ctx.store.reflections(ctx.learner.id, CHALLENGE_QUIZ)
    except StoreError as exc:
        show_store_error(exc)
        return {}
    return lm_challenges.saved_attempts(rows)


def _save(ctx: PageContext, result: lm_challenges.Result, before: dict | None) -> None:
    record = lm_challenges.attempt_record(result, before)
    try:
        ctx.store.save_reflection(ctx.learner.id, CHALLENGE_QUIZ, f"level-{result.level}", json.dumps(record))
    except StoreError as exc:
        show_store_error(exc)


@st.fragment
def perplexity_challenges(ctx: PageContext) -> None:
    st.subheader("Perplexity challenge levels")
    lesson.text("m04", "challenges-intro")
    levels_box = st.container()  # filled last, so an attempt made below is already counted
    saved = _saved(ctx)
    try:
        _play(ctx, saved)
    finally:
        with levels_box:
            _level_list(_saved(ctx))


def _level_list(saved: dict[int, dict]) -> None:
    status = {True: ":green[passed ✓]", False: "tried, not passed yet", None: "not tried"}
    st.markdown("\n".join(
        f"- **Level {lv.number} {lv.stars}** · {lv.goal} · "
        f"*{status[saved[lv.number].get('ever_passed', False) if lv.number in saved else None]}*"
        for lv in lm_challenges.LEVELS))


def _play(ctx: PageContext, saved: dict[int, dict]) -> None:
    corpus = _challenge_text()
    if corpus is None:
        st.warning(f"The challenges need {CHALLENGE_CORPUS}.txt; not found in the data folder. Download it once "
                   "(1.1 MB, checked against its sha256) to play.", icon=":material/folder_off:")
        if st.button("Download Tiny Shakespeare", key="m04-ch-download"):
            try:
                corpus_path(CHALLENGE_CORPUS, download=True)
                st.rerun()
            except CorpusError as exc:
                st.error(str(exc))
        return
    number = st.radio("level", [lv.number for lv in lm_challenges.LEVELS], horizontal=True, key="m04-ch-level",
                      format_func=lambda n: f"Level {n} {lm_challenges.level(n).stars}")
    lv = lm_challenges.level(number)
    cols = st.columns(5)
    kind = cols[0].selectbox("cell", lm_challenges.KINDS, index=1, key="m04-ch-kind")
    hidden = cols[1].select_slider("hidden units", [32, 64, 128, 256], 128, key="m04-ch-hidden")
    layers = cols[2].select_slider("layers", [1, 2], 1, key="m04-ch-layers")
    lr = cols[3].select_slider("learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], 3e-3, key="m04-ch-lr")
    seconds = cols[4].slider("training seconds", 2, lv.max_seconds, min(20, lv.max_seconds),
                             key=f"m04-ch-seconds-{number}")
    tau = 0.8
    if number == 3:
        tau = st.slider("sampling temperature for the words check", 0.3, 1.2, 0.8, 0.1, key="m04-ch-tau")
    settings = lm_challenges.Settings(kind=kind, hidden=hidden, layers=layers, lr=lr, seconds=seconds,
                                      temperature=tau)
    st.caption("Training runs on the server for the time you chose; leave the page's controls alone until it "
               "finishes, since a click elsewhere stops the run.")
    if st.button("Train and check", key="m04-ch-run", icon=":material/play_arrow:", type="primary"):
        bar = st.progress(0.0, text="Training...")

        def on_step(info) -> None:
            if info.step % 10 == 0:
                bar.progress(min(info.elapsed_s / seconds, 1.0),
                             text=f"step {info.step} · loss {info.loss:.3f} nats · {info.elapsed_s:.0f} s")

        inference.configure_threads()
        bar.progress(0.0, text="Waiting for a free trainer (the server trains a few models at a time)...")
        try:
            with jobs.registry().inline_slot(ctx.learner.id, seconds) as allowed:
                result = lm_challenges.run(lv, corpus, dataclasses.replace(settings, seconds=max(1.0, allowed)),
                                           on_step=on_step)
        except (ValueError, RuntimeError) as exc:  # JobError is a ValueError
            st.error(f"Training stopped: {exc}")
            return
        bar.empty()
        _save(ctx, result, saved.get(number))
        st.session_state["m04-ch-last"] = result
    result = st.session_state.get("m04-ch-last")
    if result is not None and result.level == number:
        m = st.columns(3)
        m[0].metric("validation perplexity", f"{result.perplexity:.2f}")
        if result.baseline is not None:
            m[1].metric("baseline perplexity", f"{result.baseline:.2f}")
        if result.words is not None:
            m[1].metric("real words", f"{result.words['real']} / {result.words['words']}")
        m[2].metric("training", f"{result.steps} steps in {result.seconds:.0f} s")
        (st.success if result.passed else st.warning)(result.verdict)
        st.code(result.sample[:600], language=None, wrap_lines=True)
        if result.words and result.words["unknown"]:
            st.caption("Words not in the training text: " + ", ".join(result.words["unknown"]))

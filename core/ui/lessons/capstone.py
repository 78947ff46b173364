"""Module 10 capstone widgets: project picker, dataset explorer, server-side evaluation with neuron view,
milestones and badges, presentation export, certificate and the summative reflections. The cohort features
(leaderboard, gallery and vote, peer review) are in core.ui.lessons.capstone_cohort. Numbers come from core and the
store; the prose is in assets/lessons/m10.md."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st

from core.capstone import data as capstone_data
from core.capstone import export as capstone_export
from core.capstone import neurons as capstone_neurons
from core.capstone import projects as capstone
from core.cohort.store import StoreError
from core.course import lessons, progress
from core.data.corpora import load_text
from core.jobs import registry as jobs
from core.jobs import runs as learner_runs
from core.jobs import uploads
from core.ui import charts, lesson, models, own_model
from core.ui.shell import PageContext, show_store_error

PROJECT = "m10-project"  # reflections quiz id for the project choice and presentation notes
SUMMATIVE = "m10-summative"
VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def _notes(ctx: PageContext) -> dict[str, str]:
    return {q: t for (_, q), t in ctx.store.reflections(ctx.learner.id, PROJECT).items()}


def _runs(ctx: PageContext) -> list[learner_runs.RunRecord]:
    return learner_runs.list_runs(ctx.learner.id)


def _run_label(r: learner_runs.RunRecord) -> str:
    return models.own_label(r).removeprefix("Your model: ") + f" · {r.created_at[:16].replace('T', ' ')}"


def pick_run(ctx: PageContext, key: str, label: str = "Your saved run") -> learner_runs.RunRecord | None:
    runs = _runs(ctx)
    if not runs:
        st.info("No saved run yet. Train one in the **Train** step above; it appears here when it has saved.",
                icon=":material/model_training:")
        return None
    labels = {r.run_id: _run_label(r) for r in runs}
    run_id = st.selectbox(label, list(labels), format_func=labels.get, key=key)
    return next(r for r in runs if r.run_id == run_id)


# ---- 10.1 project picker -----------------------------------------------------------------------------------------


def chosen_template(ctx: PageContext) -> capstone.Template | None:
    saved = _notes(ctx).get("template", "")
    level, _, domain = saved.partition("/")
    try:
        return capstone.template(level, domain) if saved else None
    except ValueError:
        return None


TRAIN_KEY = "m10-train"  # key prefix of the trainer (core.ui.own_model) on this page


def _seed_trainer(t: capstone.Template) -> None:
    """Set the trainer's widgets to the template's settings, clamped to the server's per-run budget."""
    budget = jobs.registry().budget
    if t.corpus and t.corpus in own_model.builtin_corpora():
        st.session_state[f"{TRAIN_KEY}-source"] = t.corpus
    st.session_state[f"{TRAIN_KEY}-kind"] = t.model["kind"]
    sizes = [h for h in own_model.HIDDEN if h <= min(t.model["hidden"], budget.max_hidden)]
    if sizes:
        st.session_state[f"{TRAIN_KEY}-hidden"] = sizes[-1]
    st.session_state[f"{TRAIN_KEY}-layers"] = max(1, min(t.model["layers"], budget.max_layers))
    st.session_state[f"{TRAIN_KEY}-dropout"] = round(float(t.model["dropout"]) / 0.05) * 0.05
    st.session_state["m10-seeded"] = t.title


def template_picker(ctx: PageContext) -> None:
    st.subheader("Choose your project")
    lesson.text("m10", "template-intro")
    saved = chosen_template(ctx)
    levels = {x["id"]: x["title"] for x in capstone.levels()}
    domains = {x["id"]: x["title"] for x in capstone.domains()}
    cols = st.columns(2)
    level = cols[0].radio("Level", list(levels), format_func=levels.get, horizontal=True, key="m10-level",
                          index=list(levels).index(saved.level) if saved else 0)
    domain = cols[1].selectbox("Domain", list(domains), format_func=domains.get, key="m10-domain",
                               index=list(domains).index(saved.domain) if saved else 0)
    t = capstone.template(level, domain)
    with st.container(border=True):
        st.markdown(f"**{t.title}**  \n{t.about}")
        st.markdown(f"**Goal.** {t.goal}  \n**Challenge.** {t.challenge}  \n**Read the samples for:** {t.judge}")
        left, right = st.columns(2)
        left.dataframe(pd.DataFrame({"model": list(t.model), "value": [str(v) for v in t.model.values()]}),
                       hide_index=True)
        right.dataframe(pd.DataFrame({"training": list(t.train), "value": [str(v) for v in t.train.values()]}),
                        hide_index=True)
        ref = capstone.reference_perplexity(t)
        if ref:
            st.caption(f"For scale: the course's shipped model `{ref[0]}` (its own settings, trained offline for minutes) "
                       f"reached a validation perplexity of {ref[1]:.2f} on this corpus (checkpoints/manifest.json).")
        b1, b2, b3 = st.columns(3)
        if b1.button("Use this project", key="m10-use-template", type="primary", icon=":material/flag:"):
            try:
                ctx.store.save_reflection(ctx.learner.id, PROJECT, "template", f"{level}/{domain}")
                st.toast(f"Project saved: {t.title}")
                saved = t
            except StoreError as exc:
                show_store_error(exc)
        b2.button("Load into the trainer below", key="m10-load-template", icon=":material/tune:",
                  on_click=_seed_trainer, args=(t,), help="Sets the trainer's data, cell, size, dropout and time.")
        b3.download_button("Starter script (.py)", capstone.starter_script(t), file_name="capstone_start.py",
                           mime="text/x-python", key="m10-starter", icon=":material/download:")
        st.caption(lessons.block("m10", "trainer-caps"))
    if saved:
        st.caption(f"Your project: **{saved.title}**.")
    if st.session_state.get("m10-seeded"):
        st.caption(f"The trainer below is set to **{st.session_state['m10-seeded']}** (you can still change it).")


# ---- dataset explorer --------------------------------------------------------------------------------------------


@st.cache_data(show_spinner="Reading the corpus...", max_entries=8)
def _corpus(name: str) -> tuple[str, capstone_data.DatasetStats]:
    text = load_text(name)
    return text, capstone_data.dataset_stats(text)


@st.cache_data(show_spinner=False, ttl=600)
def _available() -> list[str]:
    return capstone_data.available_corpora()


def _freq_chart(stats: capstone_data.DatasetStats) -> alt.Chart:
    df = pd.DataFrame([{"character": VISIBLE.get(c, c), "share": n / max(1, stats.chars)} for c, n in stats.top])
    # One row per character (40 columns did not fit a 390 px phone: Vega hid 29 of the names).
    return alt.Chart(df, title=f"The {len(df)} most frequent characters").mark_bar().encode(
        y=alt.Y("character:N", sort=None, title="character (␣ space, ⏎ newline)",
                axis=alt.Axis(labelOverlap=False, labelFontSize=12)),
        x=alt.X("share:Q", title="share of all characters", axis=alt.Axis(format="%")),
        tooltip=["character", alt.Tooltip("share:Q", format=".2%")]
    ).properties(height=alt.Step(14), **charts.FIT_X)


@st.fragment
def dataset_explorer(ctx: PageContext) -> None:
    st.subheader("Dataset explorer")
    template = chosen_template(ctx)
    names = _available()
    source = st.radio("Data", ["Built-in corpus", "Upload your own"], horizontal=True, key="m10-data-source")
    if source == "Built-in corpus":
        if not names:
            st.warning("No built-in corpus is available on this server; upload a text instead.")
            return
        default = names.index(template.corpus) if template and template.corpus in names else 0
        name = st.selectbox("Corpus", names, index=default, key="m10-corpus")
        text, stats = _corpus(name)
    else:
        upload = st.file_uploader(f"A UTF-8 text file (up to {uploads.MAX_MB} MB)", max_upload_size=uploads.MAX_MB, type=["txt", "md", "csv", "py", "c", "tex",
                                                                          "json", "log"], key="m10-upload")
        if upload is None:
            st.caption("Nothing uploaded yet. The file stays in this session; it is not stored.")
            return
        try:
            text = capstone_data.read_upload(upload.name, upload.getvalue())
        except ValueError as exc:
            st.error(str(exc), icon=":material/block:")
            return
        stats = capstone_data.dataset_stats(text)
    cols = st.columns(5)
    cols[0].metric("size", f"{stats.bytes / 1e3:,.0f} KB")
    cols[1].metric("characters", f"{stats.chars:,}")
    cols[2].metric("lines", f"{stats.lines:,}")
    cols[3].metric("vocabulary", f"{stats.vocab} chars")
    cols[4].metric("unigram perplexity", f"{stats.unigram_perplexity:.2f}",
                   help="exp(entropy) of the character frequencies: what a model that ignores context scores. "
                        "Your model should end well below it.")
    st.altair_chart(_freq_chart(stats), width="stretch")
    left, right = st.columns(2)
    val = left.slider("validation share", 0.05, 0.3, 0.1, 0.05, key="m10-val-share")
    test = right.slider("test share", 0.0, 0.3, 0.1, 0.05, key="m10-test-share")
    split = capstone_data.three_way_split(text, val, test)
    st.dataframe(pd.DataFrame([
        {"split": "train", "characters": len(split.train), "use": "fit the weights"},
        {"split": "validation", "characters": len(split.val), "use": "choose settings and checkpoints"},
        {"split": "test", "characters": len(split.test), "use": "report once, at the very end"},
    ]), hide_index=True)
    st.caption(lessons.block("m10", "contiguous-splits"))
    seed = st.session_state.get("m10-snippet-seed", 0)
    for snippet in capstone_data.snippets(split.train, 2, 240, seed):
        st.code(snippet, language=None, wrap_lines=True)
    st.button("Other snippets", key="m10-snippets", icon=":material/shuffle:",
              on_click=lambda: st.session_state.update({"m10-snippet-seed": seed + 1}))
    if stats.chars < 100_000:
        st.info(f"{stats.chars:,} characters is little: keep the model small (1 layer, 64–128 units) and watch "
                "the gap between training and validation loss.", icon=":material/lightbulb:")
    elif stats.vocab > 150:
        st.info(f"{stats.vocab} distinct characters: rare symbols cost parameters and are hard to learn. "
                "Consider normalising the text first.", icon=":material/lightbulb:")


# ---- evaluation: the server's measurement, curve, samples, neurons -------------------------------------------------


def _curve(ctx: PageContext, run_id: str) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    try:
        hist = learner_runs.run_history(ctx.learner.id, run_id) or {}
    except (KeyError, OSError, ValueError):
        hist = {}
    return list(zip(hist.get("steps", []), hist.get("train_loss", []), strict=False)), \
        [tuple(e) for e in hist.get("evals", [])]


def _curve_chart(train: list, val: list) -> alt.Chart:
    rows = [{"step": s, "loss": v, "curve": "train"} for s, v in train]
    rows += [{"step": s, "loss": v, "curve": "validation"} for s, v in val]
    return alt.Chart(pd.DataFrame(rows), title="Training curve of this run").mark_line(point=False).encode(
        x=alt.X("step:Q", title="training step"), y=alt.Y("loss:Q", title="loss (nats/char)"),
        color=alt.Color("curve:N", title=None))


def evaluation(ctx: PageContext) -> None:
    st.subheader("Evaluate: the server measures your run")
    st.markdown("Numbers on this page are computed by the course server: it loads your saved model, scores it "
                f"on the held-out text stored with the run (up to {capstone.EVAL_MAX_CHARS:,} characters) and "
                "draws a sample at a fixed seed. " + lessons.block("m10", "server-measures"))
    rec = pick_run(ctx, "m10-eval-run")
    if rec is None:
        return
    train, val = _curve(ctx, rec.run_id)
    if train or val:
        st.altair_chart(_curve_chart(train, val), width="stretch")
    if st.button("Measure on the held-out split", key="m10-measure", type="primary", icon=":material/straighten:"):
        with st.spinner("Scoring the held-out text..."):
            try:
                m = capstone.evaluate_run(ctx.learner.id, rec.run_id)
                ctx.store.save_evaluation(ctx.learner.id, m.run_id, m.title, m.corpus, m.config, m.loss, m.chars,
                                          m.unigram_perplexity, m.sample)
            except (KeyError, OSError, ValueError) as exc:
                st.error(f"This run could not be measured: {exc}", icon=":material/error:")
            except StoreError as exc:
                show_store_error(exc)
    result = next((r for r in ctx.store.my_results(ctx.learner.id) if r.run_id == rec.run_id), None)
    if result is None:
        st.caption("Not measured yet.")
        return
    cols = st.columns(4)
    cols[0].metric("held-out perplexity", f"{result.perplexity:.3f}")
    cols[1].metric("bits per character", f"{result.bits_per_char:.3f}")
    cols[2].metric("loss", f"{result.loss:.4f} nats/char")
    cols[3].metric("unigram baseline", f"{result.unigram_perplexity:.2f}",
                   delta=f"{result.perplexity - result.unigram_perplexity:+.2f}", delta_color="inverse")
    st.caption(f"{result.chars:,} characters scored · measured {result.evaluated_at:%Y-%m-%d %H:%M} UTC.")
    st.code(result.sample, language=None, wrap_lines=True)
    _submit(ctx, rec, result)


@st.cache_data(show_spinner=False, max_entries=256)
def _category(learner_id: int, run_id: str, corpus: str) -> tuple[str | None, str]:
    """The run's leaderboard category (a run's held-out text never changes, so this is cached per run)."""
    try:
        return capstone.leaderboard_category(corpus, learner_runs.held_out_text(learner_id, run_id))
    except (KeyError, OSError) as exc:
        return None, str(exc)


def _submit(ctx: PageContext, rec, result) -> None:
    if result.hidden:
        st.warning(f"An instructor hid this entry from the leaderboard: {result.hidden_reason}",
                   icon=":material/visibility_off:")
    if result.category:
        st.success(f"On the **{result.category}** leaderboard.", icon=":material/leaderboard:")
        if st.button("Withdraw from the leaderboard", key="m10-withdraw"):
            ctx.store.withdraw_result(ctx.learner.id, rec.run_id)
            st.rerun()
        return
    category, why = _category(ctx.learner.id, rec.run_id, rec.corpus)
    if category is None:
        st.caption(f"This run cannot go on the leaderboard: {why}.")
        return
    template = chosen_template(ctx)
    if st.button(f"Submit to the {category} leaderboard", key="m10-submit", icon=":material/publish:"):
        try:
            ctx.store.submit_result(ctx.learner.id, rec.run_id, category, template.level if template else None)
            st.rerun()
        except StoreError as exc:
            show_store_error(exc)


def _heat(chars: list[str], values: list[float]) -> str:
    top = max(1e-6, max(abs(v) for v in values))
    spans = []
    for ch, v in zip(chars, values, strict=True):
        a = min(1.0, abs(v) / top)
        colour = f"rgba(198,40,40,{a:.2f})" if v > 0 else f"rgba(21,101,192,{a:.2f})"
        shown = "⏎<br>" if ch == "\n" else html.escape(ch).replace(" ", "&nbsp;")
        spans.append(f'<span style="background:{colour}">{shown}</span>')
    return f'<div style="font-family:monospace;line-height:1.6">{"".join(spans)}</div>'


@st.fragment
def neuron_view(ctx: PageContext) -> None:
    st.subheader("Neuron view")
    lesson.text("m10", "neuron-intro")
    rec = pick_run(ctx, "m10-neuron-run")
    if rec is None:
        return
    key = f"m10-scan-{rec.run_id}"
    if st.button("Scan the neurons", key="m10-scan", icon=":material/neurology:"):
        try:
            model, vocab, _ = models.get_own_model(ctx.learner.id, rec.run_id)
            text = learner_runs.held_out_text(ctx.learner.id, rec.run_id)
            st.session_state[key] = capstone_neurons.neuron_scan(model, vocab, text, max_chars=2_000)
        except (KeyError, OSError, ValueError) as exc:
            st.error(f"The neurons could not be scanned: {exc}")
    scan = st.session_state.get(key)
    if scan is None:
        return
    best = pd.DataFrame(scan.best(10), columns=["neuron", "feature", "r"])
    st.dataframe(best, hide_index=True, column_config={"r": st.column_config.NumberColumn(format="%+.2f")})
    neuron = st.selectbox("Show a neuron", list(best["neuron"]), key="m10-neuron")
    values = scan.activations[:, neuron].tolist()
    st.markdown(_heat(scan.chars[:600], values[:600]), unsafe_allow_html=True)
    st.caption(lessons.block("m10", "neuron-colours"))
    feature = st.selectbox("It tracks", list(scan.corr), key="m10-neuron-feature",
                           index=list(scan.corr).index(best.set_index("neuron").loc[neuron, "feature"]))
    r = scan.corr[feature][neuron]
    label = st.text_input("Your note on this neuron", max_chars=200, key="m10-neuron-label")
    st.caption(f"Measured correlation of neuron {neuron} with '{feature}': r = {r:+.2f}. Findings with |r| ≥ "
               f"{capstone.NEURON_MIN_R} count towards the Neuron hunter badge.")
    if st.button("Save this finding", key="m10-save-neuron", disabled=not label.strip()):
        try:
            ctx.store.save_neuron_finding(ctx.learner.id, rec.run_id, scan.layer, int(neuron), feature, r, label)
            st.toast("Finding saved.")
        except (StoreError, ValueError) as exc:
            st.error(str(exc))
    found = ctx.store.neuron_findings(ctx.learner.id)
    if found:
        st.dataframe(pd.DataFrame([{"run": f.run_id[:15], "neuron": f.neuron, "feature": f.feature,
                                    "r": f.correlation, "note": f.label} for f in found]), hide_index=True)


# ---- milestones and badges -----------------------------------------------------------------------------------------


def events(ctx: PageContext) -> capstone.Events:
    db, me = ctx.store, ctx.learner.id
    solved = sum(1 for s in db.lab_summary(me).values() if s.solved)
    return capstone.Events(_runs(ctx), db.my_results(me), db.neuron_findings(me), db.reviews_done(me),
                           db.my_samples(me), db.review_feedback(me), solved, _notes(ctx))


def milestones_and_badges(ctx: PageContext) -> None:
    st.subheader("Milestones and badges")
    ev = events(ctx)
    try:
        new = ctx.store.award_badges(ctx.learner.id, capstone.earned_badges(ev))
    except StoreError as exc:
        show_store_error(exc)
        new = []
    names = {b["id"]: b["name"] for b in capstone.content()["badges"]}
    for badge in new:
        st.toast(f"Badge earned: {names.get(badge, badge)}", icon=":material/military_tech:")
    ms = capstone.milestones(ev)
    st.progress(sum(m.done for m in ms) / len(ms), text=f"{sum(m.done for m in ms)} of {len(ms)} milestones")
    for m in ms:
        # Material icons, as on Module 4's milestones: the emoji squares were blank boxes without an emoji font
        st.markdown(f"{':material/check_circle:' if m.done else ':material/radio_button_unchecked:'} "
                    f"**{m.name}** · {m.how}")
    with st.expander("Architecture choice (milestone 2)", expanded=not ms[1].done):
        text = st.text_area("Which cell, how many layers and units, what regularisation, and why?",
                            value=ev.notes.get("architecture", ""), max_chars=2000, key="m10-architecture")
        if st.button("Save", key="m10-save-architecture"):
            try:
                ctx.store.save_reflection(ctx.learner.id, PROJECT, "architecture", text)
                st.rerun()
            except (StoreError, ValueError) as exc:
                st.error(str(exc))
    have = ctx.store.badges(ctx.learner.id)
    rows = []
    for b in capstone.content()["badges"]:
        got = have.get(b["id"])
        rows.append({"badge": b["name"], "earned": got.awarded_at.strftime("%Y-%m-%d") if got else "",
                     "evidence": got.evidence if got else "", "how to earn it": b["rule"]})
    # A static table wraps the long rules (the dataframe grid cut "how to earn it" and the evidence at 1280 px).
    st.table(pd.DataFrame(rows).set_index("badge"))
    _cohort_comparison(ctx, ev, len(have))


def _cohort_comparison(ctx: PageContext, ev: capstone.Events, my_badges: int) -> None:
    """Where the cohort is, as counts from the store (anonymous), next to where you are."""
    stats = ctx.store.cohort_capstone_stats(ctx.learner.id)
    n = max(1, stats["learners"])
    mine = {"measured a run": bool(ev.results), "on the leaderboard": any(r.category and not r.hidden
                                                                         for r in ev.results),
            "shared a sample": bool(ev.samples), "did 3 peer reviews": ev.reviews_done >= 3,
            "earned a badge": my_badges > 0}
    counts = {"measured a run": stats["measured"], "on the leaderboard": stats["on_leaderboard"],
              "shared a sample": stats["shared_sample"], "did 3 peer reviews": stats["reviewed_three"],
              "earned a badge": stats["with_badges"]}
    df = pd.DataFrame([{"step": k, "share": v / n, "learners": v, "you": "done" if mine[k] else "not yet"}
                       for k, v in counts.items()])
    people = f"{stats['learners']} learner{'s' if stats['learners'] != 1 else ''}"
    chart = alt.Chart(df, title=[f"Your cohort ({people}):", "who has reached each step"]).mark_bar()  # 2 lines: 390 px
    st.altair_chart(chart.encode(
        x=alt.X("share:Q", title="share of the cohort", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=alt.Y("step:N", sort=None, title=None),
        color=alt.Color("you:N", title="you", scale=alt.Scale(domain=["done", "not yet"],
                                                              range=[charts.DONE_COLOR, charts.OFF_PATH_COLOR])),
        tooltip=["step", "learners", alt.Tooltip("share:Q", format=".0%"), "you"]), width="stretch")
    st.caption(f"Counts only, never names. Badges per learner in your cohort: {stats['badges_per_learner']:.1f}; "
               f"yours: {my_badges}.")


# ---- presentation, certificate, reflections ----------------------------------------------------------------------------


def presentation(ctx: PageContext) -> None:
    st.subheader("Present your project")
    notes = _notes(ctx)
    for note in capstone.content()["presentation_notes"]:
        value = st.text_area(note["prompt"], value=notes.get(note["id"], ""), max_chars=3000,
                             key=f"m10-note-{note['id']}")
        if value.strip() != notes.get(note["id"], "").strip() and value.strip():
            try:
                ctx.store.save_reflection(ctx.learner.id, PROJECT, note["id"], value)
                notes[note["id"]] = value
            except (StoreError, ValueError) as exc:
                st.error(str(exc))
    rec = pick_run(ctx, "m10-present-run", "Run to present")
    if rec is None:
        return
    result = next((r for r in ctx.store.my_results(ctx.learner.id) if r.run_id == rec.run_id), None)
    train, val = _curve(ctx, rec.run_id)
    samples = [result.sample] if result else []
    samples += [g.text for g in ctx.store.my_samples(ctx.learner.id)][:2]
    template = chosen_template(ctx)
    extra = {}
    try:
        extra = learner_runs.run_extra(ctx.learner.id, rec.run_id).get("train_config") or {}
    except (KeyError, OSError, ValueError):
        pass
    p = capstone_export.Presentation(
        ctx.learner.display_name, template.title if template else "", rec.title, rec.corpus, rec.config,
        extra if isinstance(extra, dict) else {}, rec.steps, train, val, result.loss if result else None,
        result.chars if result else 0, result.unigram_perplexity if result else None, samples,
        [(f.neuron, f.feature, f.correlation, f.label) for f in ctx.store.neuron_findings(ctx.learner.id)
         if f.run_id == rec.run_id], notes)
    md = capstone_export.presentation_markdown(p)
    cols = st.columns(2)
    cols[0].download_button("Presentation (Markdown)", md, file_name="capstone.md", mime="text/markdown",
                            key="m10-export-md", icon=":material/download:")
    cols[1].download_button("Presentation (HTML)", capstone_export.presentation_html(p), file_name="capstone.html",
                            mime="text/html", key="m10-export-html", icon=":material/download:")
    if result is None:
        st.caption("Measure this run first to put the server's numbers in the presentation.")
    with st.expander("Preview"):
        st.markdown(md)


def certificate(ctx: PageContext) -> None:
    st.subheader("Certificate")
    completed = [m.id for m in ctx.course.modules.values()
                 if progress.step_progress(ctx.course, ctx.done, m.id, ctx.learner.path, ctx.evidence).status == "done"]
    badges = list(ctx.store.badges(ctx.learner.id))
    names = {b["id"]: b["name"] for b in capstone.content()["badges"]}
    cert = capstone_export.Certificate(
        ctx.learner.display_name, ctx.path.name if ctx.path else "",
        [f"Module {ctx.course.modules[m].number} · {ctx.course.modules[m].title}" for m in completed],
        capstone.certificate_skills(completed, badges), [names.get(b, b) for b in badges], datetime.now(UTC))
    st.markdown(f"It lists the **{len(completed)} module(s)** you have ticked off completely and the "
                f"**{len(badges)} badge(s)** you have earned, under the name **{ctx.learner.display_name}**.")
    st.download_button("Certificate (PDF)", capstone_export.certificate_pdf(cert), file_name="rnn-course-certificate.pdf",
                       mime="application/pdf", key="m10-certificate", icon=":material/workspace_premium:",
                       disabled=not completed)
    if not completed:
        st.caption("Complete at least one module (tick its sections and pass its quiz) to download a certificate.")


def reflections(ctx: PageContext) -> None:
    st.subheader("Looking back: summative reflection")
    saved = {q: t for (_, q), t in ctx.store.reflections(ctx.learner.id, SUMMATIVE).items()}
    with st.form("m10-reflections"):
        answers = {p["id"]: st.text_area(p["prompt"], value=saved.get(p["id"], ""), max_chars=4000,
                                         key=f"m10-refl-{p['id']}") for p in capstone.content()["reflections"]}
        if st.form_submit_button("Save my reflections"):
            try:
                for qid, text in answers.items():
                    if text.strip():
                        ctx.store.save_reflection(ctx.learner.id, SUMMATIVE, qid, text)
                st.success(f"Saved {sum(1 for t in answers.values() if t.strip())} reflection(s).")
            except (StoreError, ValueError) as exc:
                st.error(str(exc))


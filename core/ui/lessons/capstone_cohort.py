"""Module 10 cohort features: the leaderboard (server-measured, per data set), the anonymous sample gallery with
likes and the final-challenge vote, and blinded peer review. Everything is scoped to the viewer's cohort; the prose
is in assets/lessons/m10.md."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.capstone import projects as capstone
from core.cohort.store import StoreError
from core.course import lessons
from core.ui import lesson, models
from core.ui.lessons.capstone import pick_run
from core.ui.shell import PageContext, show_store_error


def leaderboard(ctx: PageContext) -> None:
    st.subheader("Leaderboard")
    lesson.text("m10", "leaderboard-intro")
    cats = ctx.store.leaderboard_categories(ctx.learner.id)
    if not cats:
        st.caption("No entries yet. Measure a run above and submit it.")
        return
    cat = st.selectbox("Data set", cats, key="m10-board-cat")
    if cat == capstone.OWN_DATA:
        st.caption(lessons.block("m10", "own-data-ranking"))
    rows = ctx.store.leaderboard(ctx.learner.id, cat)
    st.dataframe(pd.DataFrame([{
        "rank": r.rank, "learner": r.name + (" (you)" if r.is_you else ""), "run": r.title, "track": r.track or "",
        "perplexity": r.perplexity, "bits/char": r.bits_per_char, "baseline": r.unigram_perplexity,
        "chars scored": r.chars, "model": f"{r.config.get('kind', '?').upper()} {r.config.get('layers', '?')}×"
                                          f"{r.config.get('hidden', '?')}"} for r in rows]),
        hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.3f")
                                        for c in ("perplexity", "bits/char", "baseline")})
    top = rows[0]
    with st.expander(f"Sample from the leading run ({top.title})"):
        st.code(top.sample, language=None, wrap_lines=True)


def share_sample(ctx: PageContext) -> None:
    st.markdown("#### Share a sample")
    rec = pick_run(ctx, "m10-share-run", "Generate from")
    if rec is None:
        return
    cols = st.columns([3, 1, 1])
    prime = cols[0].text_input("Start with", value="\n", max_chars=100, key="m10-share-prime")
    tau = cols[1].slider("temperature", 0.2, 1.5, 0.8, 0.1, key="m10-share-tau")
    seed = int(cols[2].number_input("seed", 0, 10**6, 0, key="m10-share-seed"))
    try:
        text = prime + models.sample(models.own_key(ctx.learner.id, rec.run_id), prime, tau, seed, 400)
    except (KeyError, OSError, ValueError) as exc:
        st.error(f"This model could not be sampled: {exc}")
        return
    st.code(text, language=None, wrap_lines=True)
    if st.button("Share to the gallery (anonymously)", key="m10-share", icon=":material/share:"):
        settings = {"temperature": tau, "seed": seed, "model": f"{rec.config['kind'].upper()} "
                    f"{rec.config['layers']}×{rec.config['hidden']}", "data": rec.corpus.split(":")[0]}
        try:
            ctx.store.share_sample(ctx.learner.id, rec.run_id, text, settings)
            st.toast("Shared. Classmates see the text and settings, not your name.")
        except (StoreError, ValueError) as exc:
            st.error(str(exc))


def _like(ctx: PageContext, sample_id: int, liked: bool) -> None:
    try:
        ctx.store.like_sample(ctx.learner.id, sample_id, liked)
    except (StoreError, ValueError) as exc:
        st.session_state["_save_error"] = str(exc)


def _vote(ctx: PageContext, sample_id: int) -> None:
    try:
        ctx.store.cast_vote(ctx.learner.id, sample_id)
    except (StoreError, ValueError) as exc:
        st.session_state["_save_error"] = str(exc)


def gallery(ctx: PageContext) -> None:
    st.subheader("Sample gallery and final challenge")
    lesson.text("m10", "gallery-intro")
    share_sample(ctx)
    items = ctx.store.gallery(ctx.learner.id)
    tally = ctx.store.vote_tally(ctx.learner.id)
    mine = ctx.store.my_vote(ctx.learner.id)
    if tally:
        leaders = sorted(tally.items(), key=lambda kv: -kv[1])[:3]
        st.markdown("**Final challenge, current standing:** " + ", ".join(f"sample #{s}: {n} vote(s)"
                                                                          for s, n in leaders))
    if not items:
        st.caption("The gallery is empty so far.")
    for item in items[:30]:
        with st.container(border=True):
            st.caption(f"Sample #{item.id} · " + " · ".join(f"{k} {v}" for k, v in item.settings.items())
                       + (" · **yours**" if item.mine else ""))
            st.code(item.text, language=None, wrap_lines=True)
            cols = st.columns(3)
            cols[0].markdown(f"♥ {item.likes}")
            if item.mine:
                if cols[2].button("Delete", key=f"m10-del-{item.id}"):
                    ctx.store.delete_sample(ctx.learner.id, item.id)
                    st.rerun()
                continue
            cols[1].button("Unlike" if item.liked else "Like", key=f"m10-like-{item.id}", on_click=_like,
                           args=(ctx, item.id, not item.liked))
            cols[2].button("Your vote ✓" if mine == item.id else "Vote", key=f"m10-vote-{item.id}",
                           on_click=_vote, args=(ctx, item.id), disabled=mine == item.id)


def peer_review(ctx: PageContext) -> None:
    st.subheader("Peer review (blinded)")
    lesson.text("m10", "peer-review-intro")
    try:
        tasks = ctx.store.review_tasks(ctx.learner.id)
    except StoreError as exc:
        show_store_error(exc)
        return
    if not tasks:
        st.caption("No samples from others to review yet; come back when classmates have shared some.")
    for n, task in enumerate(tasks, 1):
        with st.form(f"m10-review-{task.assignment_id}"):
            st.markdown(f"**Review {n} of {ctx.store.REVIEWS_PER_LEARNER}**" + (" · done ✓" if task.done else ""))
            st.code(task.text, language=None, wrap_lines=True)
            cols = st.columns(3)
            ratings = [cols[i].slider(c, 1, 5, getattr(task, c) or 3, key=f"m10-rv-{task.assignment_id}-{c}")
                       for i, c in enumerate(("coherence", "creativity", "style"))]
            if st.form_submit_button("Submit review"):
                try:
                    ctx.store.submit_review(ctx.learner.id, task.assignment_id, *ratings)
                    st.toast("Review saved.")
                except (StoreError, ValueError) as exc:
                    st.error(str(exc))
    feedback = ctx.store.review_feedback(ctx.learner.id)
    if feedback:
        st.markdown("**What reviewers said about your samples** (averages only)")
        st.dataframe(pd.DataFrame([{"sample": f"#{sid}", "reviews": a.reviews, "coherence": a.coherence,
                                    "creativity": a.creativity, "style": a.style} for sid, a in feedback.items()]),
                     hide_index=True)

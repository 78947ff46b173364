"""Quiz widgets: the quiz card (questions, per-question feedback with the why, score, retry, history), the
module quiz, the readiness verdicts and the 'find your use case' survey.

The card runs in a fragment, so answering a question reruns the card only, not the page's heavier demos; checking
the answers reruns the whole page, so what depends on the score (sidebar, Home, the page's footer) is up to date.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from streamlit_sortables import sort_items

from core.assessment import diagnostics, flashcards
from core.assessment import quiz as quizzes
from core.assessment.quiz import AnswerError, Question, Quiz, QuizError, QuizResult
from core.cohort.store import StoreError
from core.ui.shell import PageContext, rerun_fragment, show_store_error

POOL = "Drag from here"
# One box per row: boxes that wrap side by side jump around as items move between them.
BUCKET_CSS = ".sortable-component.vertical .sortable-container { flex-basis: 100%; }"


def _key(quiz: Quiz, suffix: str) -> str:
    return f"quiz::{quiz.id}::{suffix}"


# ---- inputs --------------------------------------------------------------------------------------------------


def _ordering(q: Question, key: str, plain: bool, disabled: bool, seed: str) -> list[str]:
    items = list(q.shuffled(seed))
    if plain or disabled:
        places = []
        for i in range(len(items)):
            places.append(st.selectbox(f"Position {i + 1}", items, index=None, key=f"{key}::{i}",
                                       placeholder="Choose…", disabled=disabled))
        return [p for p in places if p]
    st.caption("Drag the items into order (first at the top).")
    return list(sort_items(items, direction="vertical", key=key))


def _buckets(q: Question, key: str, plain: bool, disabled: bool) -> dict[str, str | None]:
    if plain or disabled:
        return {left: st.selectbox(left, q.choices, index=None, key=f"{key}::{i}", placeholder="Choose…",
                                   disabled=disabled)
                for i, left in enumerate(sorted(q.answer))}
    st.caption("Drag each item from the first box into the box where it belongs.")
    containers = [{"header": POOL, "items": sorted(q.answer)}] + [{"header": c, "items": []} for c in q.choices]
    placed = sort_items(containers, multi_containers=True, direction="vertical", key=key, custom_style=BUCKET_CSS)
    chosen: dict[str, str | None] = dict.fromkeys(q.answer)
    for box in placed or ():
        if box.get("header") != POOL:
            for item in box.get("items", ()):
                chosen[item] = box["header"]
    return chosen


def _input(q: Question, key: str, plain: bool, disabled: bool, reflection: str, seed: str) -> Any:
    """One question's widget. Options appear in this learner's order for this attempt (`seed`); a checkbox keeps
    the key of its option's place in the file, so an answer never moves to another box."""
    order = q.option_order(seed)
    if q.type in ("single", "truefalse"):
        options = [q.options[i] for i in order] if q.type == "single" else [True, False]
        return st.radio("Your answer", options, index=None, key=key, label_visibility="collapsed",
                        format_func=lambda o: {True: "True", False: "False"}.get(o, o) if isinstance(o, bool) else o,
                        disabled=disabled, horizontal=q.type == "truefalse")
    if q.type == "multi":
        return [q.options[i] for i in order if st.checkbox(q.options[i], key=f"{key}::{i}", disabled=disabled)]
    if q.type == "numeric":
        return st.text_input("Your answer" + (f" ({q.unit})" if q.unit else ""), key=key, disabled=disabled,
                             placeholder="e.g. 0.25, 1e-6 or 1,000")
    if q.type == "matching" and q.widget == "buckets":
        return _buckets(q, key, plain, disabled)
    if q.type == "matching":
        return {left: st.selectbox(left, q.choices, index=None, key=f"{key}::{i}", placeholder="Choose…",
                                   disabled=disabled)
                for i, left in enumerate(q.answer)}
    if q.type == "ordering":
        return _ordering(q, key, plain, disabled, seed)
    return st.text_area("Your reflection (saved for you, not graded)", value=reflection, key=key, max_chars=4000,
                        disabled=disabled)


# ---- feedback and history ------------------------------------------------------------------------------------


def _feedback(q: Question, grade: quizzes.Grade, added: dict[str, bool]) -> None:
    if grade.correct is None:
        st.info(" ".join(grade.feedback) + f"\n\n**Something to consider:** {grade.explanation}",
                icon=":material/edit_note:")
        return
    body = "\n\n".join([*grade.feedback, f"**Why:** {grade.explanation}"])
    if grade.correct:
        st.success("**Correct.**\n\n" + body, icon=":material/check_circle:")
    elif grade.score > 0:
        st.warning(f"**Partly right** ({quizzes.format_share(grade.score)}).\n\n" + body, icon=":material/rule:")
    else:
        st.error("**Not quite.**\n\n" + body, icon=":material/cancel:")
    if q.card in added:
        st.caption("A flashcard on this idea is now in your review deck (Practice → Flashcards)." if added[q.card]
                   else "The flashcard on this idea is already in your review deck.")


def _history(ctx: PageContext, quiz: Quiz) -> list[dict]:
    answers = ctx.store.quiz_answers(ctx.learner.id, quiz.id)
    attempts: dict[int, dict] = {}
    for a in answers:
        row = attempts.setdefault(a.attempt, {"attempt": a.attempt, "when": a.answered_at, "score": 0.0,
                                              "correct": 0})
        if a.correct is not None:
            row["score"] += a.score
            row["correct"] += int(a.correct)
    return [attempts[n] for n in sorted(attempts)]


def _save(ctx: PageContext, quiz: Quiz, responses: dict[str, Any], result: QuizResult) -> dict[str, bool]:
    """Store the attempt, the total (for Home), reflections, and put missed questions' cards in the deck."""
    db, learner_id = ctx.store, ctx.learner.id
    db.record_quiz_attempt(learner_id, quiz.id, [
        (q.id, responses.get(q.id), result.grades[q.id].correct, result.grades[q.id].score) for q in quiz.questions
        if q.graded
    ])
    if quiz.max_score:
        db.record_quiz_score(learner_id, quiz.id, result.score, quiz.max_score)
    for q in quiz.questions:
        if q.type == "reflection" and str(responses.get(q.id) or "").strip():
            db.save_reflection(learner_id, quiz.id, q.id, responses[q.id])
    cards = flashcards.by_id(flashcards.load_cards())
    added = {}
    for q in result.missed(quiz):
        if q.card in cards and q.card not in added:
            added[q.card] = flashcards.add_to_deck(db, learner_id, cards[q.card], f"quiz:{quiz.id}:{q.id}")
    return added


# ---- the card ------------------------------------------------------------------------------------------------


def _attempt_seed(ctx: PageContext, quiz: Quiz, round_: int) -> str:
    """The option-order seed of this round: fixed when the round starts, so checking the answers (which stores the
    attempt) shows the same order the learner answered in."""
    key = _key(quiz, f"{round_}::seed")
    if key not in st.session_state:
        try:
            attempt = 1 + max((a.attempt for a in ctx.store.quiz_answers(ctx.learner.id, quiz.id)), default=0)
        except StoreError:
            attempt = round_ + 1
        st.session_state[key] = quizzes.attempt_seed(ctx.learner.id, attempt)
    return st.session_state[key]


@st.fragment
def _card(ctx: PageContext, quiz: Quiz) -> None:
    ss = st.session_state
    round_ = ss.setdefault(_key(quiz, "round"), 0)
    state = ss.get(_key(quiz, "result"))  # {"result": QuizResult, "added": {...}} after checking
    graded = state is not None
    seed = _attempt_seed(ctx, quiz, round_)
    if quiz.intro:
        st.caption(quiz.intro)
    has_drag = any(q.type == "ordering" or q.widget == "buckets" for q in quiz.questions)
    plain = has_drag and st.toggle("Use drop-down lists instead of drag and drop", key=_key(quiz, "plain"),
                                   help="Keyboard- and screen-reader-friendly; the questions are the same.")
    reflections = ctx.store.reflections(ctx.learner.id, quiz.id)
    responses: dict[str, Any] = {}
    for number, q in enumerate(quiz.questions, 1):
        badge = ":gray[✎ reflection]" if q.type == "reflection" else f":orange[{quizzes.stars(q.stars)}]"
        st.markdown(f"**{number}.** {badge} {q.prompt}")
        responses[q.id] = _input(q, _key(quiz, f"{round_}::{q.id}"), plain, graded,
                                 reflections.get((quiz.id, q.id), ""), seed)
        if graded:
            _feedback(q, state["result"].grades[q.id], state["added"])
    if graded:
        result: QuizResult = state["result"]
        st.markdown(f"### Score: {quizzes.format_score(result.score, result.max_score)} "
                    f"({quizzes.format_share(result.share)})")
        if quiz.module in ctx.course.modules:
            mark = quizzes.format_share(ctx.course.quiz_pass)
            st.caption(f"Passed: this counts towards completing the module ({mark} needed)."
                       if result.share >= ctx.course.quiz_pass - 1e-9 else
                       f"The module counts as complete once a quiz attempt reaches {mark}; try again whenever "
                       "you are ready (your best attempt counts).")
        if st.button("Try again", key=_key(quiz, f"{round_}::retry"), icon=":material/replay:"):
            ss[_key(quiz, "round")] = round_ + 1
            ss.pop(_key(quiz, "result"), None)
            rerun_fragment()
    elif st.button("Check my answers", key=_key(quiz, f"{round_}::check"), type="primary"):
        missing = quizzes.unanswered(quiz, responses)
        if missing:
            st.warning(f"Answer every question first (still open: {', '.join(map(str, missing))}).")
        else:
            try:
                result = quizzes.grade_quiz(quiz, responses)
                added = _save(ctx, quiz, responses, result)
            except AnswerError as exc:
                st.warning(str(exc), icon=":material/pin:")
            except (StoreError, ValueError) as exc:
                show_store_error(StoreError(str(exc)))
            else:
                ss[_key(quiz, "result")] = {"result": result, "added": added}
                # The whole page, not just this card: the sidebar's next step and the page's footer were drawn
                # before this score existed. The review survives, since it lives in session state.
                st.rerun(scope="app")
    try:
        history = _history(ctx, quiz)
    except StoreError as exc:
        show_store_error(exc)
        return
    if history:
        with st.expander(f"Your attempts ({len(history)})", icon=":material/history:"):
            table = pd.DataFrame(history)
            table["score"] = table["score"].map(lambda s: quizzes.format_score(s, quiz.max_score))
            st.dataframe(table, hide_index=True, column_config={
                "when": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm")})
    if "scoring" in quiz.meta:
        _verdict(quiz, history[-1]["correct"] if history else None)


def quiz_card(ctx: PageContext, quiz_id: str, heading: str | None = None) -> None:
    """Draw a quiz in a bordered card; a readiness quiz also shows its verdict and refreshers."""
    try:
        quiz = quizzes.load_quiz(quiz_id).for_path(ctx.learner.path)
    except QuizError as exc:
        st.error(f"**This quiz could not be loaded**, so it is not shown. Please tell the course team: {exc}",
                 icon=":material/quiz:")
        return
    with st.container(border=True):
        st.subheader(heading or quiz.title)
        _card(ctx, quiz)


def module_quiz(ctx: PageContext) -> None:
    """The knowledge check at the end of a module page."""
    quiz_card(ctx, ctx.module.id, heading=f"Check your understanding: Module {ctx.module.number}")


# ---- diagnostics ---------------------------------------------------------------------------------------------


def _verdict(quiz: Quiz, correct: int | None) -> None:
    """Readiness verdict (ready / mini-refresher / full foundation) for the latest attempt, with refreshers."""
    if correct is None:
        st.caption("Your recommendation appears here once you have checked your answers.")
        return
    try:
        band = diagnostics.readiness_verdict(quiz, correct)
    except QuizError as exc:
        st.error(f"The scoring for this check could not be read: {exc}")
        return
    icon = {"ready": ":material/verified:", "mini-refresher": ":material/school:"}.get(band.level,
                                                                                        ":material/foundation:")
    st.markdown(f"**Your latest result: {correct} of {quiz.max_score} correct.** {band.headline}")
    st.info(band.advice, icon=icon)
    for refresher in band.refreshers:
        with st.expander(f"{refresher.title} · about {refresher.minutes} min", icon=":material/menu_book:"):
            st.markdown(refresher.body)


def use_case_finder(ctx: PageContext) -> None:
    """Five questions about the learner's work -> a recommended path and modules, adoptable with one click."""
    try:
        survey = diagnostics.load_use_case()
    except QuizError as exc:
        st.error(f"**The use-case quiz could not be loaded.** Please tell the course team: {exc}")
        return
    with st.container(border=True):
        st.subheader(survey.title)
        st.caption(survey.intro)
        with st.form("use-case"):
            picks = {q.id: st.radio(q.prompt, [c.text for c in q.choices], index=None, key=f"use-case::{q.id}")
                     for q in survey.questions}
            submitted = st.form_submit_button("Recommend a path", type="primary")
        if submitted:
            try:
                st.session_state["use-case::result"] = diagnostics.recommend(survey, picks)
            except ValueError as exc:
                st.warning(str(exc))
        rec: diagnostics.Recommendation | None = st.session_state.get("use-case::result")
        if rec is None:
            return
        path = ctx.course.paths[rec.path]
        st.markdown(f"#### Recommended: Path {path.key}, {path.name}")
        st.caption(f"For {path.audience.lower()} · about {ctx.course.path_minutes(path.key) / 60:.1f} hours")
        st.markdown("**Why this path**\n" + "\n".join(f"- {r}" for r in rec.reasons))
        modules = ctx.course.modules
        st.markdown("**Modules on this path:** " + ", ".join(modules[m].label for m in path.modules))
        if rec.focus:
            st.markdown("**Pay special attention to**\n" + "\n".join(
                f"- {modules[m].label}{'' if m in path.modules else ' (not on this path, worth a detour)'}: {why}"
                for m, why in rec.focus if m in modules))
        if ctx.learner.path == path.key:
            st.success(f"Path {path.key} is already your learning path.", icon=":material/check:")
        elif st.button(f"Make Path {path.key} my learning path", key="use-case::adopt", icon=":material/route:"):
            try:
                ctx.store.set_path(ctx.learner.id, path.key)
            except StoreError as exc:
                show_store_error(exc)
            else:
                st.session_state["use-case::adopted"] = path.key
                st.rerun()
        if st.session_state.pop("use-case::adopted", None):
            st.toast(f"Path {path.key} is now your learning path.", icon=":material/route:")

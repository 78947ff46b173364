"""`course_page(page_id)`: the one call every page (Home too) starts with.

It sets the page up, resolves the learner (or asks who they are and stops), draws the path-aware sidebar and
returns a PageContext. Because every script calls it first, a deep link that Streamlit serves in legacy
`pages/` mode on a cold start still goes through the same gate (FIELD-NOTES, "Routing").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitAPIException

from core import logs
from core.cohort import access, identity
from core.cohort.store import LearnerRecord, Store, StoreError
from core.course import progress
from core.course.curriculum import Course, LearningPath, Module, Page
from core.ui import state, warmup

STATUS_ICON = {"done": ":material/check_circle:", "started": ":material/timelapse:"}

# Layout fixes for every page, in one place. Sidebar labels wrap instead of being cut ("3 · Vanishing gradients
# and the LST"). Display equations and Markdown tables wider than the column scroll inside their own box, with a
# shadow on the side that has more to show (backgrounds attached to the content, Lea Verou's scroll shadows), so a
# 390 px phone neither cuts them nor scrolls the whole page sideways. Data tables (a canvas grid that cannot wrap)
# say that they scroll whenever their columns overflow.
_SHADOWS = ("background: linear-gradient(to right, var(--bg, #fff) 30%, transparent), "
            "linear-gradient(to left, var(--bg, #fff) 30%, transparent) 100% 0, "
            "radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.35), transparent), "
            "radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.35), transparent) 100% 0; "
            "background-repeat: no-repeat; background-size: 2.5rem 100%, 2.5rem 100%, 1.1rem 100%, 1.1rem 100%; "
            "background-attachment: local, local, scroll, scroll;")
PAGE_CSS = f"""<style>
[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"] span,
[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"] p {{
  white-space: normal; overflow: visible; text-overflow: clip; height: auto; }}
[data-testid="stMarkdownContainer"] .katex-display {{
  overflow-x: auto; overflow-y: hidden; max-width: 100%; padding: 0.2rem 0; {_SHADOWS} }}
[data-testid="stMarkdownContainer"] table {{ display: block; max-width: 100%; overflow-x: auto; {_SHADOWS} }}
/* Data tables: a hint under the grid only while its columns overflow. The grid's own scroller drives a scroll
   timeline; with nothing to scroll the timeline is inactive and the hint keeps its zero size. */
[data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"] [data-testid="stDataFrame"]) {{
  timeline-scope: --table-x; }}
[data-testid="stDataFrame"] .dvn-scroller {{ scroll-timeline: --table-x x; }}
[data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"] [data-testid="stDataFrame"])::after {{
  content: "\\2194  Wide table: scroll or swipe it sideways to see every column."; display: block;
  font-size: 0; opacity: 0.65; animation: table-hint linear both; animation-timeline: --table-x; }}
@keyframes table-hint {{ from, to {{ font-size: 0.8rem; margin-top: 0.2rem; }} }}
@supports not (animation-timeline: scroll()) {{
  @media (max-width: 640px) {{
    [data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"] [data-testid="stDataFrame"])::after {{
      font-size: 0.8rem; }} }}
}}
</style>"""


def evidence_of(db: Store, learner_id: int) -> progress.Evidence:
    """What completes a step besides ticks: the learner's best quiz scores, code-lab results and saved models (none
    if the store fails: the page still renders, and the failure is reported where it is written)."""
    try:
        return progress.Evidence.from_records(db.best_quiz_scores(learner_id), db.lab_summary(learner_id),
                                              db.model_count(learner_id))
    except StoreError:
        return progress.NO_EVIDENCE


def cohort_evidence(db: Store, learner_ids: list[int]) -> dict[int, progress.Evidence]:
    """evidence_of() for a whole cohort in three queries (the instructor's dashboard)."""
    try:
        rows = db.cohort_evidence(learner_ids)
    except StoreError:
        return {i: progress.NO_EVIDENCE for i in learner_ids}
    return {i: progress.Evidence.from_records(quizzes, labs, models) for i, (quizzes, labs, models) in rows.items()}


@dataclass
class PageContext:
    course: Course
    page: Page
    store: Store
    learner: LearnerRecord
    done: progress.Done
    instructor: bool = False
    evidence: progress.Evidence = progress.NO_EVIDENCE  # quizzes passed and labs run: what completes a step

    @property
    def module(self) -> Module:
        if self.page.module is None:
            raise TypeError(f"Page {self.page.id!r} is not a module page.")
        return self.page.module

    @property
    def path(self) -> LearningPath | None:
        return self.course.paths.get(self.learner.path or "")

    def on_path(self, page_id: str) -> bool:
        return self.path is None or page_id in self.path.steps

    def refresh(self) -> None:
        """Re-read this learner's record and progress after a write."""
        self.learner = self.store.learner(self.learner.id) or self.learner
        self.done = self.store.completed_sections(self.learner.id)
        self.evidence = evidence_of(self.store, self.learner.id)


def course_page(page_id: str) -> PageContext:
    course = state.get_course()
    page = course.page(page_id)
    st.set_page_config(page_title=f"{page.title} · RNN Course", page_icon=page.icon, layout="wide")
    logs.configure()  # idempotent: the course's rnn_course.* loggers to stderr, level from RNN_COURSE_LOG_LEVEL
    warmup.start()  # once per process: torch and the shipped models load in the background (Home never imports torch)
    config = state.access_config()
    try:
        db = state.get_store()
        learner = state.resolve_learner(db, config)
        if learner is None:
            if config.oidc:
                _sso_gate(config, course, page)
            else:
                _sign_in_form(db, course, page, config)
            st.stop()
        ctx = PageContext(course, page, db, learner, db.completed_sections(learner.id), state.is_instructor(config),
                          evidence_of(db, learner.id))
    except StoreError as exc:
        st.error(f"**The course cannot reach its database.** {exc}", icon=":material/database:")
        st.stop()
    st.html(PAGE_CSS)
    _sidebar(ctx, config)
    _resume_link_notice(ctx)
    if page.instructor_only and not ctx.instructor:
        _instructor_gate(config)
        st.stop()
    code = st.session_state.pop("_show_resume_code", None)
    if code:
        st.success("Welcome! This browser will remember you. To continue on another device or browser, keep "
                   "this resume code (also on the *My cohort & data* page while you are signed in):",
                   icon=":material/key:")
        st.code(code, language=None)
    return ctx


def show_store_error(exc: StoreError) -> None:
    st.error(f"**That could not be saved.** {exc}", icon=":material/database:")


def _sso_gate(config: access.AccessConfig, course: Course, page: Page) -> None:
    st.title(course.title)
    st.caption(course.subtitle)
    acct = state.account()
    if acct is not None:  # signed in, but not on the allow-list
        st.error(f"The account {identity.escape_markdown(acct['email'] or '?')} is not on this course's list. "
                 "Ask your instructor to add it, or sign in with another account.")
        st.button("Sign out", on_click=st.logout, key="sso-logout")
        return
    where = f" You opened **{page.heading}**; you will land there." if page.id != "home" else ""
    st.info("This course uses your organisation's single sign-on." + where, icon=":material/login:")
    st.button("Sign in", on_click=st.login, type="primary", key="sso-login")


def _resume_link_notice(ctx: PageContext) -> None:
    """Whose account a `?resume=` link opened; while another learner is signed in here, ask before switching."""
    me = identity.escape_markdown(ctx.learner.display_name)
    if state.resumed_from_link():
        st.info(f"You are signed in as **{me}** from a resume link. Not you? Use *Sign out* in the sidebar.",
                icon=":material/key:")
    other = state.pending_resume(ctx.store)
    if other is None:
        return
    them = identity.escape_markdown(other.display_name)
    with st.container(border=True):
        st.warning(f"This resume link opens the account of **{them}**, but you are signed in as **{me}**. Switch "
                   "only if that account is yours: this browser would then forget yours. Your own account stays on "
                   "the server, and your resume code (on *My cohort & data*) brings you back.",
                   icon=":material/switch_account:")
        stay, switch = st.columns(2)
        if stay.button(f"Stay signed in as {me}", key="resume-stay", type="primary", width="stretch"):
            state.dismiss_resume()
            st.rerun()
        if switch.button(f"Switch to {them}", key="resume-switch", width="stretch"):
            state.accept_resume()
            st.rerun()


def _instructor_gate(config: access.AccessConfig) -> None:
    """Shown instead of an instructor page to everyone else (checked on every run, deep links included)."""
    st.title("Instructors only")
    st.error("This page is for the course's instructors. Your account does not have that role.",
             icon=":material/lock:")
    if config.instructor_key and not config.oidc:
        with st.form("instructor-key"):
            key = st.text_input("Instructor key", type="password", max_chars=200)
            if st.form_submit_button("Unlock"):
                attempts = st.session_state.setdefault("_key_attempts", access.session_key_attempts())
                check = access.check_instructor_key(config, key, attempts, client=_client())
                if check.ok:
                    st.session_state["_instructor_key"] = key
                    st.rerun()
                wait = f" Wait {math.ceil(check.wait)} s before trying again." if check.wait else ""
                st.error(("Too many wrong keys." if check.locked else "That key is not right.") + wait)


def _client() -> str:
    """The browser's address for the log (a proxy's address behind one), or '?'."""
    try:
        return str(st.context.ip_address or "?")
    except Exception:  # noqa: BLE001 - no request context (e.g. AppTest)
        return "?"


def _sign_in_form(db: Store, course: Course, page: Page, config: access.AccessConfig) -> None:
    st.title(course.title)
    st.caption(course.subtitle)
    if page.id != "home":
        st.info(f"You opened **{page.heading}**. Say who you are first so the course can keep your progress; "
                "you will stay on this page.", icon=":material/login:")
    error = st.session_state.pop("_resume_error", None)
    if error:
        st.warning(error)
    new, resume = st.tabs(["I'm new here", "I have a resume code"])
    with new, st.form("sign-in"):
        name = st.text_input("Display name", max_chars=identity.NAME_MAX, placeholder="e.g. Ada")
        cohort = st.text_input("Cohort code (optional)", max_chars=identity.COHORT_MAX,
                               help="Your instructor gives you one if you are part of a cohort.")
        if st.form_submit_button("Start learning", type="primary"):
            try:
                if not config.join_code_ok(cohort):
                    raise ValueError("This course needs the cohort code your instructor gave you.")
                _, token = db.create_learner(name, cohort)
            except ValueError as exc:
                st.error(str(exc))
            else:
                state.sign_in(token)
                st.session_state["_show_resume_code"] = token
                st.rerun()
    with resume, st.form("resume"):
        code = st.text_input("Resume code", max_chars=64, type="password")
        if st.form_submit_button("Resume"):
            if db.find_learner(code.strip()):
                state.sign_in(code.strip())
                st.rerun()
            st.error("That resume code is not known on this server.")
    st.caption("Your display name and progress are stored on this course server only, to keep your place "
               "(and, in a cohort, to show your instructor your progress). No password, no e-mail.")


def _link(page: Page, step: progress.StepProgress | None, suffix: str = "") -> None:
    icon = STATUS_ICON.get(step.status, page.icon) if step else page.icon
    st.page_link(page.file, label=page.label + suffix, icon=icon)


def _sidebar(ctx: PageContext, config: access.AccessConfig) -> None:
    course, path = ctx.course, ctx.path
    key = path.key if path else None

    def step(page_id: str) -> progress.StepProgress:
        return progress.step_progress(course, ctx.done, page_id, key, ctx.evidence)

    with st.sidebar:
        cohort = f" · cohort {identity.escape_markdown(ctx.learner.cohort_code)}" if ctx.learner.cohort_code else ""
        st.markdown(f"**{identity.escape_markdown(ctx.learner.display_name)}**{cohort}")
        if path:
            share = progress.path_share(course, ctx.done, path.key)
            st.caption(f"Path {path.key}: {path.name} · {share:.0%} read")
            nxt = progress.next_step(course, ctx.done, path.key, ctx.evidence)
            if nxt:
                st.page_link(course.pages[nxt].file, label=f"Next step: {course.pages[nxt].label}",
                             icon=":material/arrow_forward:")
        else:
            st.caption("No learning path chosen yet: pick one on Home.")
        _link(course.pages["home"], None)

        st.markdown("**Modules**" + (" · your path first" if path else ""))
        modules = list(course.modules)
        on = [m for m in path.modules] if path else modules
        for module_id in on:
            _link(course.pages[module_id], step(module_id), " ★" if path else "")
        off = [m for m in modules if m not in on]
        if off:
            with st.expander("Not on your path", expanded=ctx.page.id in off):
                for module_id in off:
                    _link(course.pages[module_id], step(module_id), " · not on your path")

        for group in ("Practice", "Reference", "Cohort"):
            st.markdown(f"**{group}**")
            for page in (p for p in course.pages.values() if p.group == group):
                if page.instructor_only and not ctx.instructor:
                    continue
                on_path = path is not None and page.id in path.extras
                _link(page, step(page.id) if on_path else None, " ★" if on_path else "")

        st.divider()
        if config.oidc:
            st.button("Sign out", icon=":material/logout:", key="sign-out", on_click=st.logout)
        elif st.button("Sign out", icon=":material/logout:", key="sign-out"):
            state.sign_out()
            st.rerun()


def rerun_fragment() -> None:
    """Rerun just the calling fragment in a browser; in a full-app run (e.g. AppTest, or a click that arrives during
    one) a fragment-scoped rerun is refused, so rerun the app."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()

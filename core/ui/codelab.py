"""The code-lab widget: an Ace editor with the lab's starter code, hidden tests graded in a sandbox, progressive
hints, a predict-first question, the reference solution after an honest attempt, and attempts saved per learner.

Learner-derived text (exceptions, printed output) is only ever shown with `st.code`, never as HTML/Markdown.
"""

from __future__ import annotations

import secrets
import threading

import streamlit as st
import streamlit_ace
from streamlit.components.v1.component_registry import ComponentRegistry

from core.assessment import flashcards
from core.cohort import identity
from core.cohort.store import LabSummary, StoreError
from core.course import progress
from core.labs import exercises, grader
from core.labs.exercises import Lab
from core.ui.shell import PageContext, show_store_error

HONEST_ATTEMPTS = 3  # graded runs before the solution is offered (fewer once every hint was read)
_warm = threading.Event()


def editor_key(lab_id: str, version: int = 0) -> str:
    """Session-state key of a lab's editor (tests set it to feed code in). Resetting bumps the version."""
    return f"lab-{lab_id}-code-{version}"


# Ace options streamlit-ace 0.1.1 gives no argument for; react-ace applies `setOptions` after the component's own
# settings, so these win. Its frontend turns live autocompletion on, and the popup then takes Enter: typing
# "import numpy as np" + Enter gave "import numpy as numpy" (seen in Chromium). Ctrl+Space still completes.
ACE_OPTIONS = {"enableLiveAutocompletion": False, "enableSnippets": False}
# 15 px, not 14: at 14 px with DejaVu Sans Mono (Linux's usual monospace) Ace's 16 px lines cut off the
# underscore, so `W_xh` read `W xh`; 15 px gets 18 px lines and every underscore shows (tests/e2e checks it).
FONT_SIZE = 15


def _register(component) -> None:
    """Serve the component's files. `declare_component` registers a component only when it runs inside a script
    run; the server's background warm-up (core/ui/warmup.py) imports this module, and so streamlit_ace, on its own
    thread, and the editor's page then got a 404 for the component ("trouble loading streamlit_ace") for every
    learner of that process. Registering again here, from the page's script run, is a dictionary lookup."""
    try:
        registry = ComponentRegistry.instance()
    except RuntimeError:  # no Streamlit server (bare mode, unit tests): nothing serves files anyway
        return
    if registry.get_component(component.name) is None:
        registry.register_component(component)


def editor(value: str, key: str) -> str | None:
    """The Ace editor, configured as `streamlit_ace.st_ace(value, language="python", theme="chrome", min_lines=14,
    font_size=FONT_SIZE, tab_size=4, auto_update=True, key=key)` would, plus ACE_OPTIONS (st_ace has no parameter
    for them, so this calls the component st_ace wraps, with st_ace's own arguments). Returns the editor's text,
    sent about 200 ms after typing pauses."""
    _register(streamlit_ace._render_component)
    return streamlit_ace._render_component(
        defaultValue=value, placeholder="", height=None, minLines=14, maxLines=None, fontSize=FONT_SIZE, tabSize=4,
        mode="python", theme="chrome", showGutter=True, showPrintMargin=False, wrapEnabled=False, readOnly=False,
        keyboardHandler="vscode", annotations=[], markers=[], autoUpdate=True, setOptions=ACE_OPTIONS, key=key,
        default=value)


def lab(ctx: PageContext, lab_id: str, *, options: dict | None = None) -> None:
    """Draw one lab. `options` go to the lab's test builder (e.g. {"text": ...} for the training loop)."""
    if not _warm.is_set():
        _warm.set()
        threading.Thread(target=grader.warm_up, daemon=True).start()
    spec = exercises.get(lab_id)
    with st.container(border=True):
        stars = "★" * spec.difficulty + "☆" * (3 - spec.difficulty)
        st.subheader(f"{spec.title}  ·  {stars}", anchor=f"lab-{lab_id}")
        st.markdown(spec.prompt)
        if spec.predict and not _predicted(ctx, spec):
            return
        _body_fragment(ctx, lab_id, options or {})


def _predicted(ctx: PageContext, spec: Lab) -> bool:
    """The predict-first gate: True once answered correctly (or if the learner already has attempts)."""
    key = f"lab-{spec.id}-predicted"
    if st.session_state.get(key) or spec.id in _summary(ctx):
        return True
    p = spec.predict
    st.markdown(f"**Before you code: predict.** {p.question}")
    choice = st.radio("Your prediction", range(len(p.options)), format_func=lambda i: p.options[i], index=None,
                      key=f"lab-{spec.id}-predict", label_visibility="collapsed")
    if st.button("Check my prediction", key=f"lab-{spec.id}-predict-check", disabled=choice is None):
        if choice == p.answer:
            st.session_state[key] = True
            st.rerun(scope="app")
        st.warning(p.feedback.get(choice, "Not quite."), icon=":material/lightbulb:")
    st.caption("The editor and the tests unlock once your prediction is right.")
    return False


def _summary(ctx: PageContext) -> dict[str, LabSummary]:
    try:
        return ctx.store.lab_summary(ctx.learner.id)
    except StoreError:
        return {}


def _body(ctx: PageContext, lab_id: str, options: dict) -> None:
    """The editor and everything below it; a fragment, so typing and grading rerun only this lab.

    The editor sends its text about 200 ms after typing pauses (streamlit-ace's own debounce with
    auto_update), so "Run tests" always grades what is on screen, and live mode grades each pause.
    """
    spec = exercises.get(lab_id)
    state = st.session_state
    version = state.setdefault(f"lab-{lab_id}-version", 0)
    if f"lab-{lab_id}-initial" not in state:
        try:
            saved = ctx.store.latest_lab_code(ctx.learner.id, lab_id)
        except StoreError:
            saved = None
        state[f"lab-{lab_id}-initial"] = saved or spec.starter
    code = editor(state[f"lab-{lab_id}-initial"], key=editor_key(lab_id, version))
    code = code if isinstance(code, str) else state[f"lab-{lab_id}-initial"]

    run_col, live_col, reset_col = st.columns([1, 1.4, 1])
    clicked = run_col.button("Run tests", key=f"lab-{lab_id}-run", type="primary", icon=":material/play_arrow:")
    live = live_col.toggle("Re-run as I type", key=f"lab-{lab_id}-live",
                           help="Grades again whenever you pause typing. Runs you start with the button are "
                                "always saved; live runs are saved once every test passes.")
    reset_col.button("Reset to starter", key=f"lab-{lab_id}-reset", icon=":material/restart_alt:",
                     on_click=_reset, args=(spec,), help="A fresh editor with the starter code (saved runs stay).")
    if clicked or (live and code != state.get(f"lab-{lab_id}-graded")):
        _grade(ctx, spec, code, options, save=clicked)
    report = state.get(f"lab-{lab_id}-report")
    if report is not None:
        _show_report(report, stale=code != state.get(f"lab-{lab_id}-graded"))
    _hints(spec)
    _solution(ctx, spec)


_body_fragment = st.fragment(_body)


NOT_GRADED = ("busy", "too_large", "unavailable", "error")  # no verdict on the code: keep the previous one


def _grade(ctx: PageContext, spec: Lab, code: str, options: dict, save: bool) -> None:
    line = st.empty()

    def in_line(place: int) -> None:  # called while every sandbox is busy, each time the place changes
        line.info(f"Every sandbox is busy right now: your place in line is {place}. Your code runs as soon as it "
                  "is your turn.", icon=":material/hourglass:")

    with st.spinner("Running the hidden tests in a sandbox…"):
        report = exercises.grade(spec, code, seed=secrets.randbelow(2**31), learner=f"learner:{ctx.learner.id}",
                                 on_wait=in_line, **options)
    line.empty()
    st.session_state[f"lab-{spec.id}-report"] = report
    if report.status in NOT_GRADED:
        return
    st.session_state[f"lab-{spec.id}-graded"] = code
    if save or report.all_passed:
        try:
            ctx.store.save_lab_attempt(ctx.learner.id, spec.id, code, report.passed, report.total,
                                       report.results_json())
            if save and not report.all_passed and ctx.page.module is not None:
                # A failed test puts the module's coding cards into the learner's review deck.
                flashcards.add_for_failed_lab(ctx.store, ctx.learner.id, ctx.page.id, spec.id)
        except StoreError as exc:
            show_store_error(exc)


def _show_report(report: grader.GradeReport, stale: bool) -> None:
    if report.status in NOT_GRADED:
        st.warning(report.message, icon=":material/hourglass:")
        return
    if report.status == "load_error":
        st.error(identity.escape_markdown(report.message), icon=":material/error:")
        if report.detail:
            st.code(report.detail, language=None)
    else:
        share = report.passed / report.total if report.total else 0.0
        verdict = "All tests pass. Well done!" if report.all_passed else f"{report.passed} of {report.total} tests pass"
        st.progress(share, text=verdict + (" (for the code before your latest edits)" if stale else ""))
        if report.warning:
            st.warning(identity.escape_markdown(report.warning), icon=":material/warning:")
        for result in report.results:
            icon = ":green[:material/check_circle:]" if result.passed else ":red[:material/cancel:]"
            line = f"{icon} **{identity.escape_markdown(result.name)}**"
            if not result.passed and result.message:
                line += f" — {identity.escape_markdown(result.message)}"
            st.markdown(line)
            if result.detail and not result.passed:
                st.code(result.detail, language=None)
    if report.output:
        with st.expander("What your code printed" + (" (cut short)" if report.output_truncated else "")):
            st.code(report.output, language=None)
    st.caption(f"Graded in {report.seconds * 1000:.0f} ms in a fresh sandbox · {_layers_text(report)}")


def _layers_text(report: grader.GradeReport) -> str:
    layers = report.layers
    if not layers:
        return report.mode
    active = [name for name, key in (("seccomp", "seccomp"), ("capabilities dropped", "capabilities_dropped"))
              if layers.get(key) is True]
    landlock = layers.get("landlock", "")
    if isinstance(landlock, str) and landlock.startswith("ABI"):
        active.append(f"Landlock {landlock}")
    limits = [k.removeprefix("RLIMIT_") for k, v in layers.items() if k.startswith("RLIMIT_") and v is True]
    if limits:
        active.append("limits: " + ", ".join(limits))
    text = f"{report.mode}: " + " · ".join(active)
    if "seccomp" not in active or not any(a.startswith("Landlock") for a in active):
        text += (" · reduced protection on this server (no seccomp/Landlock): time limits, memory watchdog and "
                 "output caps still apply")
    return text


def _hints(spec: Lab) -> None:
    key = f"lab-{spec.id}-hints"
    shown = st.session_state.get(key, 0)
    for i, hint in enumerate(spec.hints[:shown], 1):
        st.info(f"**Hint {i}.** {hint}", icon=":material/lightbulb:")
    if shown < len(spec.hints):
        st.button(f"Show a hint ({shown + 1} of {len(spec.hints)})", key=f"lab-{spec.id}-hint-btn",
                  icon=":material/lightbulb:", on_click=_bump, args=(key,))


def _bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


def _reset(spec: Lab) -> None:
    """A new editor key resets the editor: `value` is only its initial text."""
    st.session_state[f"lab-{spec.id}-version"] = st.session_state.get(f"lab-{spec.id}-version", 0) + 1
    st.session_state[f"lab-{spec.id}-initial"] = spec.starter


def _solution(ctx: PageContext, spec: Lab) -> None:
    summary = _summary(ctx).get(spec.id)
    attempts = summary.attempts if summary else 0
    solved = bool(summary and summary.solved)
    all_hints = st.session_state.get(f"lab-{spec.id}-hints", 0) >= len(spec.hints)
    if solved or attempts >= HONEST_ATTEMPTS or (all_hints and attempts >= 1):
        with st.expander("Reference solution" + (" (compare it with yours)" if solved else "")):
            st.code(spec.solution, language="python")
    else:
        need = HONEST_ATTEMPTS - attempts
        st.caption(f"The reference solution opens after {need} more test run{'s' if need != 1 else ''} "
                   "(or one run once you have read every hint).")


def page_labs(ctx: PageContext, options: dict[str, dict] | None = None) -> tuple[str, ...]:
    """Every lab placed on this page (core.labs.exercises.PLACEMENT); returns the planned elements they build."""
    built = []
    groups = exercises.PLACEMENT.get(ctx.page.id, ())
    if groups:
        st.header("Code labs", divider="gray")
        st.caption("Write the function in the editor and run the hidden tests. Your code runs in a locked-down "
                   "sandbox on the server; each run is saved so you can pick up where you left off.")
    for planned, lab_ids in groups:
        for lab_id in lab_ids:
            lab(ctx, lab_id, options=(options or {}).get(lab_id))
        if planned:
            built.append(planned)
    return tuple(built)


def overview(ctx: PageContext) -> str | None:
    """A table of every lab with this learner's progress; returns the lab id picked to open, if any."""
    summary = _summary(ctx)
    where: dict[str, list[str]] = {}
    for page, groups in exercises.PLACEMENT.items():
        for _, labs in groups:
            for lab_id in labs:
                where.setdefault(lab_id, []).append(f"Module {ctx.course.pages[page].module.number}")
    needed = progress.required_labs(ctx.course, ctx.learner.path)
    rows = []
    for lab_id, spec in exercises.LABS.items():
        s = summary.get(lab_id)
        status = "solved" if s and s.solved else f"{s.best_passed}/{s.total} best" if s else "not started"
        row = {"Lab": spec.title, "Where": ", ".join(where[lab_id])}
        if needed:  # which labs finishing the path asks for, so 'complete' next to 'not started' makes sense
            row["On your path"] = "required" if lab_id in needed else "optional"
        rows.append({**row, "Difficulty": "★" * spec.difficulty, "Your status": status,
                     "Attempts": s.attempts if s else 0})
    st.dataframe(rows, hide_index=True, height=38 * (len(rows) + 1))
    return st.selectbox("Open a lab here", list(exercises.LABS), index=None, key="labs-pick",
                        format_func=lambda i: exercises.LABS[i].title, placeholder="Choose a lab…")


@st.cache_data(show_spinner=False)
def training_text(chars: int = 3000) -> str | None:
    """A slice of Tiny Shakespeare for Lab 4 when the corpus is on this machine (None: the lab's own text)."""
    try:
        from core.data import corpora as data

        return data.corpus_path("tinyshakespeare", download=False).read_text(encoding="utf-8")[:chars]
    except Exception:  # noqa: BLE001 (any problem with the corpus: the lab falls back to its built-in text)
        return None

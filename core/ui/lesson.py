"""Lesson building blocks shared by the module pages: header, TL;DR, goals, section checklist, technical blocks
(folded for a manager), takeaways and the manager's view of a module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.cohort.store import StoreError
from core.course import business, lessons, progress
from core.course.content import ContentError
from core.labs import exercises
from core.ui.shell import PageContext, show_store_error


def text(page_id: str, name: str) -> None:
    """Render one block of the page's lesson text (assets/lessons/<page_id>.md): Markdown with LaTeX."""
    st.markdown(lessons.block(page_id, name))


def provenance(text: str) -> None:
    """Where a demo's numbers come from (files, commands, dates), folded away: useful to the curious and to an
    instructor, not in the way of a learner."""
    with st.expander("How this was made", icon=":material/science:"):
        st.caption(text)


def _toggle(ctx: PageContext, page_id: str, section_id: str, key: str) -> None:
    try:
        ctx.store.set_section_done(ctx.learner.id, page_id, section_id, bool(st.session_state[key]))
    except StoreError as exc:
        st.session_state["_save_error"] = str(exc)


def done_checkbox(ctx: PageContext, page_id: str, section_id: str, label: str, help: str | None = None) -> bool:
    """A checkbox that stores 'I finished this' for the learner (saved on click, survives restarts)."""
    key = f"done::{page_id}::{section_id}"
    is_done = section_id in ctx.done.get(page_id, set())
    return st.checkbox(label, value=is_done, key=key, help=help, on_change=_toggle,
                       args=(ctx, page_id, section_id, key))


def save_errors() -> None:
    message = st.session_state.pop("_save_error", None)
    if message:
        show_store_error(StoreError(message))


def path_banner(ctx: PageContext) -> None:
    path, page_id = ctx.path, ctx.page.id
    if path is None:
        st.caption("Pick a learning path on Home to see where this page fits.")
    elif not ctx.on_path(page_id):
        st.caption(f"Not on your path ({path.key}: {path.name}). You are welcome to read it anyway.")
    else:
        note = path.notes.get(page_id)
        only = path.sections.get(page_id)
        if only:
            note = (note + " " if note else "") + f"On this path, sections {', '.join(only)} are enough."
        st.caption(f"★ On your path ({path.key}: {path.name})." + (f" {note}" if note else ""))


def module_header(ctx: PageContext) -> None:
    module = ctx.module
    save_errors()
    st.title(f"Module {module.number} · {module.title}")
    path_banner(ctx)
    step = progress.step_progress(ctx.course, ctx.done, module.id, ctx.learner.path, ctx.evidence)
    st.progress(step.share, text=f"{step.done} of {step.required} sections done · about {module.minutes} min")
    st.subheader("The 5-minute TL;DR")
    st.markdown(module.tldr)
    left, right = st.columns(2)
    with left:
        st.markdown("**Learning goals**")
        st.markdown("\n".join(f"- {g}" for g in module.goals))
    with right, st.expander("Explain it to a colleague", icon=":material/forum:", expanded=True):
        st.markdown(module.stakeholder)


def section_checklist(ctx: PageContext) -> None:
    module = ctx.module
    required = set(progress.required_sections(ctx.course, module.id, ctx.learner.path))
    st.subheader("Sections")
    for section in module.sections:
        optional = "" if section.id in required else " · optional on your path"
        done_checkbox(ctx, module.id, section.id, f"**{section.id} {section.title}** · {section.minutes} min{optional}",
                      help="Tick when you have worked through this section; it is saved for you.")
        if section.summary:
            st.caption(section.summary)


def still_to_come(planned: tuple[str, ...] | list[str], built: tuple[str, ...] = ()) -> None:
    """Say plainly which planned interactive elements are not built yet (nothing is faked in their place).

    `built` names the planned elements the page already provides; every name must be one of `planned`.
    """
    unknown = set(built) - set(planned)
    if unknown:
        raise ValueError(f"Not in the planned list (check assets/course.yaml): {sorted(unknown)}")
    items = [item for item in planned if item not in built]
    if not items:
        return
    st.info("**Interactive elements still to come on this page.** The following are planned and not built yet; "
            "nothing here is simulated in their place:\n" + "\n".join(f"- {item}" for item in items),
            icon=":material/construction:")


def page_header(ctx: PageContext) -> None:
    """Title, path banner, summary and a 'done' tick for a page that is not a module."""
    save_errors()
    page = ctx.page
    st.title(page.title + (f" (Appendix {page.appendix})" if page.appendix else ""))
    path_banner(ctx)
    if page.summary:
        st.markdown(page.summary)
    done_checkbox(ctx, page.id, progress.PAGE_SECTION, "I have worked through this page",
                  help="Saved for you; counts towards your path when this page is on it.")


def manager_view(ctx: PageContext) -> bool:
    """Whether the learner's path reads the course as a manager (course.yaml: `manager_view`)."""
    return ctx.path is not None and ctx.path.manager_view


@contextmanager
def technical(ctx: PageContext, label: str) -> Iterator[None]:
    """Wrap a technical block (equations, measurements, internals): folded away under "Technical: <label>" for a
    learner on a manager's path, shown as it is for everyone else.

        with lesson.technical(ctx, "the LSTM's equations, gate by gate"):
            lesson.text("m03", "lstm-build")
    """
    if manager_view(ctx):
        with st.expander(f"Technical: {label}", icon=":material/functions:"):
            yield
    else:
        with st.container():
            yield


def for_managers(ctx: PageContext) -> None:
    """'What this means for your organisation' (three lines) and the module's business table, if it has one
    (assets/business.yaml): in full on a manager's path, folded away under its title on the others."""
    try:
        view = business.for_module(ctx.page.id)
    except ContentError as exc:
        st.error(f"The business notes for this module could not be read. Please tell the course team: {exc}")
        return
    if view is None:
        return
    title = "What this means for your organisation"
    full = manager_view(ctx)
    with st.container() if full else st.expander(title, icon=":material/business_center:"):
        if full:
            st.subheader(title)
        st.markdown("\n".join(f"- {line}" for line in view.organisation))
        if view.table is not None:
            st.markdown(f"**{view.table.title}**")
            st.markdown(view.table.markdown())
            if view.table.note:
                st.caption(view.table.note)


def takeaways(ctx: PageContext) -> None:
    """Key takeaways, then the manager's view of the module."""
    module = ctx.module
    st.subheader("Key takeaways")
    st.markdown("\n".join(f"{i}. {t}" for i, t in enumerate(module.takeaways, 1)))
    for_managers(ctx)


def next_step(ctx: PageContext) -> None:
    """Close a page with where to go next on the learner's path."""
    if ctx.path is None:
        st.page_link(ctx.course.pages["home"].file, label="Choose a learning path on Home", icon=":material/route:")
        return
    nxt = progress.next_step(ctx.course, ctx.done, ctx.path.key, ctx.evidence)
    st.divider()
    if nxt is None:
        st.success(f"You have finished path {ctx.path.key}. Well done!")
    elif nxt == ctx.page.id:
        step = progress.step_progress(ctx.course, ctx.done, nxt, ctx.path.key, ctx.evidence)
        todo = ([] if step.read else ["tick this page's sections as you finish them" if ctx.page.module is not None
                                      else "tick 'I have worked through this page' when you have"])
        todo += [n.text.replace(n.id, f"'{exercises.LABS[n.id].title}'") if n.kind == "lab" and n.id in exercises.LABS
                 else n.text for n in step.needs]
        st.caption(f"To complete this step: {'; '.join(todo)}. The next step on your path then appears here.")
    else:
        target = ctx.course.pages[nxt]
        st.page_link(target.file, label=f"Next step on your path: {target.heading}", icon=":material/arrow_forward:")

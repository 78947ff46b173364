"""Appendix widgets: the reading list (start here, then by module), the searchable glossary and the cheat sheets
(equations, symbols, loss units, parameter counts and a live temperature example, all computed on the spot)."""

from __future__ import annotations

import functools

import altair as alt
import pandas as pd
import streamlit as st

from core.course import cheatsheets, glossary, lessons, poster, reading
from core.ui import charts
from core.ui.shell import PageContext

KIND_ICON = {"post": ":material/article:", "paper": ":material/description:", "thesis": ":material/school:",
             "code": ":material/code:", "docs": ":material/menu_book:"}


# Appendix B: further reading

def _module_label(ctx: PageContext, module_id: str) -> str:
    module = ctx.course.modules.get(module_id)
    return f"Module {module.label}" if module else module_id


def _reading(ctx: PageContext, item: reading.Reading) -> None:
    st.markdown(f"{KIND_ICON[item.kind]} **[{item.title}]({item.url})**  \n"
                f"{item.byline} · {item.kind} · goes with {_module_label(ctx, item.module)}")
    st.caption(item.why_read)


def start_here(ctx: PageContext) -> None:
    """The three readings to pick if a learner reads nothing else."""
    st.subheader("Start here")
    st.caption(lessons.block("reading", "start-here"))
    for item in reading.start_here(reading.load()):
        _reading(ctx, item)


def readings_by_module(ctx: PageContext) -> None:
    """Every reading, in its group, for every module, the learner's path, or one module."""
    groups, modules = reading.load(), ctx.course.modules
    choices = ["all", *(["path"] if ctx.path else []), *modules]
    labels = {"all": "Every module", "path": "Modules on my path"}
    scope = st.selectbox("Show readings for", choices, format_func=lambda c: labels.get(c) or _module_label(ctx, c),
                         help="Each reading is tied to the module it deepens.")
    wanted = None if scope == "all" else set(ctx.path.modules) if scope == "path" else {scope}
    shown = reading.for_modules(groups, wanted)
    count = sum(len(g.items) for g in shown)
    st.caption(f"{count} of {len(reading.all_items(groups))} readings")
    if not shown:
        st.info("No reading is tied to this module yet; the module's own page and the glossary cover it.")
    for group in shown:
        st.subheader(group.title)
        st.caption(group.blurb)
        for item in group.items:
            _reading(ctx, item)


# Appendix C: glossary

def glossary_search(ctx: PageContext) -> None:
    """A search box over every term; each hit opens to both definitions and a link to its module."""
    terms = glossary.load()
    query = st.text_input("Search the glossary", max_chars=80, placeholder="e.g. gradient, attention, h_t")
    found = glossary.search(terms, query)
    st.caption(f"{len(found)} of {len(terms)} terms")
    for term in found:
        with st.expander(term.term + (f"  ({', '.join(term.aliases)})" if term.aliases else "")):
            st.markdown(f"**In plain English:** {term.plain}")
            st.markdown(f"**Technically:** {term.technical}")
            module = ctx.course.modules.get(term.module)
            if module:
                st.page_link(ctx.course.pages[module.id].file, label=f"Introduced in module {module.label}",
                             icon=":material/school:")


# Appendix D: cheat sheets

def _table(rows, columns: list[str]) -> None:
    st.table(pd.DataFrame(rows, columns=columns), hide_index=True)


def _module_link(ctx: PageContext, module_id: str) -> None:
    page = ctx.course.pages.get(module_id)
    if page is not None:
        st.page_link(page.file, label=f"Learn it in Module {page.label}", icon=":material/school:")


def _sheet(ctx: PageContext, sheet: cheatsheets.Sheet) -> None:
    st.markdown(sheet.intro)
    for eq in sheet.equations:
        words, maths = st.columns([2, 3], vertical_alignment="center")
        words.markdown(f"**{eq.name}**")
        words.caption(eq.note)
        with maths:
            st.latex(eq.latex)
    st.markdown("**Symbols**")
    _table([(s.symbol, s.meaning, s.shape) for s in sheet.symbols], ["Symbol", "Meaning", "Shape"])
    st.info(sheet.remember, icon=":material/lightbulb:")
    _module_link(ctx, sheet.module)


def _loss_converter() -> None:
    st.markdown("**Convert a loss**")
    left, right = st.columns(2)
    nats = left.number_input("Mean cross-entropy in nats", min_value=0.0, max_value=20.0, value=1.5, step=0.1,
                             key="cheatsheets::nats", help="What your training loop prints, if it uses ln.")
    units = cheatsheets.loss_units(nats)
    left.markdown(f"Perplexity **{units.perplexity:,.2f}** · bits per character **{units.bits_per_char:.3f}**")
    vocab = right.number_input("Vocabulary size V", min_value=2, max_value=1_000_000, value=65, step=1,
                               key="cheatsheets::vocab")
    base = cheatsheets.uniform_loss(int(vocab))
    right.markdown(f"Uniform guessing: loss **{base.nats:.3f}** nats · perplexity **{base.perplexity:,.0f}** · "
                   f"**{base.bits_per_char:.3f}** bits per character")


def _parameter_calculator() -> None:
    st.markdown("**How many parameters is that?**")
    left, right = st.columns(2)
    d = left.number_input("Input size D", min_value=1, max_value=100_000, value=65, step=1, key="cheatsheets::d",
                          help="Vocabulary size for one-hot characters, or the embedding size.")
    h = right.number_input("Hidden size H", min_value=1, max_value=100_000, value=256, step=1,
                           key="cheatsheets::h")
    rows = [(name, f"{cheatsheets.parameter_count(kind, int(d), int(h)):,}")
            for kind, name in (("rnn", "Vanilla RNN cell"), ("gru", "GRU cell"), ("lstm", "LSTM cell"))]
    _table(rows, ["One layer", "Parameters (PyTorch layout)"])
    st.caption(lessons.block("cheatsheets", "parameter-count"))


def _temperature_example(content: cheatsheets.CheatSheets) -> None:
    st.markdown("**Live example**: three logits through the temperature softmax")
    ex = cheatsheets.temperature_example(content.example_logits, content.example_temperatures)
    columns = [f"p({label}), logit {z:.1f}" for label, z in zip(content.example_labels, ex.logits, strict=True)]
    table = pd.DataFrame(ex.probs, columns=columns).map(lambda p: f"{p:.3f}")
    table.insert(0, "τ", [f"{t:g}" for t in ex.temperatures])
    table["entropy (bits)"] = [f"{e:.3f}" for e in ex.entropy_bits]
    st.table(table, hide_index=True)
    st.caption(lessons.block("cheatsheets", "temperature-order"))
    charts.draw_client(temperature_spec(content.example_labels, content.example_logits))


@functools.cache
def temperature_spec(labels: tuple[str, ...], logits: tuple[float, ...]) -> dict:
    """The live example as a client-side chart: its τ slider reshapes the bars in the browser, computing
    softmax(z / τ) in the order cheatsheets.softmax_with_temperature does (divide, subtract the max, exp, normalise)."""
    tau = charts.slider("tau", "Try your own temperature τ", 0.05, 5.0, 0.05, 1.0)
    x = alt.X("p:Q", title="probability", scale=alt.Scale(domain=[0, 1.12]),  # room for the label of a p near 1
              axis=alt.Axis(values=[0, 0.2, 0.4, 0.6, 0.8, 1]))
    y = alt.Y("label:N", sort=list(labels), title="character")
    bars = alt.Chart().mark_bar().encode(x=x, y=y, tooltip=["label:N", alt.Tooltip("z:Q", title="logit"),
                                                             alt.Tooltip("p:Q", format=".3f")])
    shown = alt.Chart().transform_calculate(shown="format(datum.p, '.3f')").mark_text(align="left", dx=4).encode(
        x="p:Q", y=y, text="shown:N")
    line = charts.readout("'τ = ' + format(tau, '.2f') + ' · entropy ' + format(datum.entropy, '.3f') + ' bits'")
    rows = [{"label": c, "z": z} for c, z in zip(labels, logits, strict=True)]
    chart = (alt.layer(bars, shown, line, data=alt.Data(values=rows)).add_params(tau)
             .transform_calculate(s="datum.z / tau").transform_joinaggregate(s_max="max(s)")
             .transform_calculate(e="exp(datum.s - datum.s_max)").transform_joinaggregate(e_sum="sum(e)")
             .transform_calculate(p="datum.e / datum.e_sum")
             .transform_calculate(h="datum.p > 0 ? -datum.p * log(datum.p) / LN2 : 0")
             .transform_joinaggregate(entropy="sum(h)")
             .properties(height=alt.Step(34)))
    return charts.client_spec(chart, lines=1)


def cheat_sheets(ctx: PageContext) -> None:
    """The poster download, the notation, then one tab per sheet plus hyperparameters and temperature."""
    content = cheatsheets.load()
    st.download_button("Download the equations poster (PDF, A4 landscape)", data=poster.equations_poster_pdf,
                       file_name="rnn-equations-poster.pdf", mime="application/pdf", on_click="ignore",
                       icon=":material/picture_as_pdf:", key="cheatsheets::poster")
    with st.expander("Notation used on every sheet", icon=":material/info:"):
        _table(content.conventions, ["Symbol", "Meaning"])

    tabs = st.tabs([s.title for s in content.sheets] + ["Hyperparameters", "Temperature"])
    for tab, sheet in zip(tabs, content.sheets, strict=False):
        with tab:
            _sheet(ctx, sheet)
            if sheet.id == "lstm":
                st.markdown("**The gates as a diagram**")
                st.graphviz_chart(cheatsheets.lstm_gate_dot())
            if sheet.id == "loss":
                _loss_converter()

    with tabs[-2]:
        st.markdown(content.hyperparameters_intro)
        _table([(r.name, r.start, r.range, r.adjust, r.why) for r in content.hyperparameters],
               ["Setting", "Start", "Typical range", "Adjust when", "Why"])
        _parameter_calculator()
        _module_link(ctx, "m09")

    with tabs[-1]:
        st.markdown(content.temperature_intro)
        st.latex(content.sheet("loss").equation("Softmax with temperature").latex)
        _table([(b.range, b.effect, b.use) for b in content.temperature_bands],
               ["τ", "What the samples look like", "Good for"])
        _temperature_example(content)
        _module_link(ctx, "m04")

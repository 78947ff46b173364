"""Charts shared by pages and lesson widgets: one place for colours, scales and how a finished Vega-Lite spec is
drawn, plus the progress charts of Home.

Importing this module does not import Altair (nor pandas): Home draws its progress charts from plain Vega-Lite
specs, and Altair costs about 0.2 s of the first page after a server start (issue 19). The helpers that build Altair
objects import it when called; by then the page calling them has imported it already."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    import altair as alt

DONE_COLOR = "#2e7d32"
OFF_PATH_COLOR = "#b0bec5"
HEAT = {"scheme": "blues", "domain": [0, 1]}  # a scale for weights in 0..1 (attention, memory addressing)
PADDING = {"top": 14, "left": 5, "right": 5, "bottom": 5}
# Streamlit gives a single-view chart autosize "fit": title, axes and legend are squeezed into the given height. With
# fit-x the plot keeps its height and they come on top (a spec's own "autosize" wins over Streamlit's).
FIT_X = {"autosize": {"type": "fit-x", "contains": "padding"}}


def show_spec(spec: dict, width: str = "stretch", **kwargs):
    """Draw a finished Vega-Lite spec. Lesson widgets build each chart's spec once per input in a cached builder
    (building and validating an Altair chart costs 0.1-0.3 s on a busy 2-core box), so a warm rerun only ships
    JSON. Extra arguments (on_select, key, ...) go to st.vega_lite_chart."""
    return st.vega_lite_chart(spec, width=width, **kwargs)


def draw_spec(spec: dict, **kwargs):
    """show_spec with a little room around the chart: without it, a title right after text was clipped."""
    return show_spec({"padding": PADDING, **spec}, **kwargs)


def inline_spec(rows: list[dict], mark: dict, encoding: dict, **properties: Any) -> dict:
    """A one-mark Vega-Lite spec that carries its rows as JSON. Streamlit turns a spec's top-level data (and
    Altair's named datasets) into an Arrow table through pandas, which costs 0.2-0.4 s to import on a cold start;
    data inside a layer it leaves in the spec. The encoding stays at the top, where Streamlit looks for it."""
    return {**properties, "encoding": encoding, "layer": [{"data": {"values": rows}, "mark": mark}]}


def _share_x(title: str) -> dict:
    return {"field": "share", "type": "quantitative", "title": title, "scale": {"domain": [0, 1]},
            "axis": {"format": "%"}}


def _share_tip() -> dict:
    return {"field": "share", "type": "quantitative", "format": ".0%"}


def module_progress(rows: list[dict]) -> dict:
    """Share of each module's required sections done, coloured by whether the module is on the learner's path
    (rows: core.course.progress.overview)."""
    where = {True: "on your path", False: "not on your path"}
    values = [{"module": r["module"], "number": r["number"], "done": r["done"], "required": r["required"],
               "minutes": r["minutes"], "share": r["share"], "where": where[bool(r["on_path"])]} for r in rows]
    return inline_spec(values, {"type": "bar"}, {
        "x": _share_x("share of required sections done"),
        "y": {"field": "module", "type": "nominal", "sort": {"field": "number"}, "title": None},
        "color": {"field": "where", "type": "nominal", "legend": {"title": None, "orient": "bottom"},
                  "scale": {"domain": list(where.values()), "range": [DONE_COLOR, OFF_PATH_COLOR]}},
        "tooltip": [{"field": "module", "type": "nominal"}, {"field": "done", "type": "quantitative"},
                    {"field": "required", "type": "quantitative"}, {"field": "minutes", "type": "quantitative"},
                    _share_tip()],
    }, title="Sections done per module")


def path_progress(rows: list[dict]) -> dict:
    """Share of each learning path's time read (rows: core.course.progress.all_paths)."""
    values = [{"path": r["path"], "share": r["share"], "hours": r["hours"]} for r in rows]
    return inline_spec(values, {"type": "bar", "color": DONE_COLOR}, {
        "x": _share_x("share of the path's time done"),
        "y": {"field": "path", "type": "nominal", "title": None},
        "tooltip": [{"field": "path", "type": "nominal"}, _share_tip(),
                    {"field": "hours", "type": "quantitative", "format": ".1f"}],
    }, title="Progress on each learning path")


# ---------------------------------------------------------------- client-side charts
# A chart whose inputs are Vega-Lite parameters bound to HTML inputs computes in the browser: moving its slider
# redraws in one frame and costs no script rerun (FIELD-NOTES, "Checked 2026-12-07"). The server builds the spec once
# per data input (a model's logits, a table of keys); everything a slider changes is a Vega expression, which
# tests/ui/vega_eval.py evaluates against the core function it mirrors.
READOUT_FONT = 13
READOUT_LINE = 19  # px between readout lines above a plot


def slider(name: str, label: str, lo: float, hi: float, step: float, value: float) -> alt.Parameter:
    """A parameter bound to a range input drawn under the chart; expressions read it by `name`."""
    import altair as alt

    return alt.param(name=name, value=value, bind=alt.binding_range(min=lo, max=hi, step=step, name=f"{label} "))


def checkbox(name: str, label: str, value: bool = False) -> alt.Parameter:
    """A parameter bound to a checkbox under the chart (true/false in expressions)."""
    import altair as alt

    return alt.param(name=name, value=value, bind=alt.binding_checkbox(name=f"{label} "))


def readout(text: str, line: int = 0, lines: int = 1, where: str | None = None,
            base: alt.Chart | None = None) -> alt.Chart:
    """A layer holding one line of text above the plot, computed in the browser: `text` is a Vega expression over
    one row of the layered chart's data (the first row, or the first that passes `where`) and the parameters, e.g.
    "'loss = ' + format(datum.loss, '.4f')". Line 0 is the top one of `lines`. `base` gives the layer its own data
    and transforms (e.g. one empty row and calculations from the parameters alone)."""
    import altair as alt

    chart = base if base is not None else alt.Chart()
    if where:
        chart = chart.transform_filter(where)
    return chart.transform_window(_row="row_number()").transform_filter("datum._row == 1").transform_calculate(
        _text=text).mark_text(align="left", baseline="bottom", fontSize=READOUT_FONT, fontWeight="bold").encode(
        x=alt.value(0), y=alt.value(-6 - READOUT_LINE * (lines - 1 - line)), text="_text:N")


def one_row() -> alt.Chart:
    """A chart over a single empty row: the base of a mark or readout computed from the parameters alone."""
    import altair as alt

    return alt.Chart(alt.Data(values=[{}]))


def client_spec(chart: alt.LayerChart | alt.Chart, lines: int = 0) -> dict:
    """The finished spec of a client-side chart, with room above the plot for `lines` readout lines."""
    spec = chart.to_dict()
    spec["padding"] = {**PADDING, "top": PADDING["top"] + READOUT_LINE * lines}
    return spec


def draw_client(spec: dict, **kwargs):
    """Draw a client-side chart built by client_spec (its sliders are part of the chart)."""
    return show_spec(spec, **kwargs)

"""Charts shared by pages and lesson widgets: one place for colours, scales and how a finished Vega-Lite spec is
drawn, plus the progress charts of Home."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

DONE_COLOR = "#2e7d32"
OFF_PATH_COLOR = "#b0bec5"
HEAT = alt.Scale(scheme="blues", domain=[0, 1])  # weights in 0..1 (attention, memory addressing)
PADDING = {"top": 14, "left": 5, "right": 5, "bottom": 5}


def show_spec(spec: dict, width: str = "stretch", **kwargs):
    """Draw a finished Vega-Lite spec. Lesson widgets build each chart's spec once per input in a cached builder
    (building and validating an Altair chart costs 0.1-0.3 s on a busy 2-core box), so a warm rerun only ships
    JSON. Extra arguments (on_select, key, ...) go to st.vega_lite_chart."""
    return st.vega_lite_chart(spec, width=width, **kwargs)


def draw_spec(spec: dict, **kwargs):
    """show_spec with a little room around the chart: without it, a title right after text was clipped."""
    return show_spec({"padding": PADDING, **spec}, **kwargs)


def module_progress(rows: list[dict]) -> alt.Chart:
    df = pd.DataFrame(rows)
    df["where"] = df["on_path"].map({True: "on your path", False: "not on your path"})
    return (
        alt.Chart(df, title="Sections done per module")
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title="share of required sections done", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            y=alt.Y("module:N", sort=alt.SortField("number"), title=None),
            color=alt.Color("where:N", scale=alt.Scale(domain=["on your path", "not on your path"],
                                                        range=[DONE_COLOR, OFF_PATH_COLOR]),
                            legend=alt.Legend(title=None, orient="bottom")),
            tooltip=["module", "done", "required", "minutes", alt.Tooltip("share:Q", format=".0%")],
        )
        .properties(height=alt.Step(22))
    )


def path_progress(rows: list[dict]) -> alt.Chart:
    df = pd.DataFrame(rows)
    return (
        alt.Chart(df, title="Progress on each learning path")
        .mark_bar(color=DONE_COLOR)
        .encode(
            x=alt.X("share:Q", title="share of the path's time done", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            y=alt.Y("path:N", title=None),
            tooltip=["path", alt.Tooltip("share:Q", format=".0%"), alt.Tooltip("hours:Q", format=".1f")],
        )
        .properties(height=alt.Step(28))
    )

"""Altair charts shared by pages (one place for colours and sizes)."""

from __future__ import annotations

import altair as alt
import pandas as pd

DONE_COLOR = "#2e7d32"
OFF_PATH_COLOR = "#b0bec5"


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

"""The scene captioner on a page: `captioning_demo` (module 6: pick or upload a picture, see the CNN feature map,
watch the caption appear word by word, and what it gets wrong) and `image_attention_demo` (module 7: per-word
attention over the grid, soft and hard side by side; `image_attention_if_installed` places it on the page). Numbers come from the shipped checkpoints/captioner.pt; the
prose is in assets/lessons/m06.md and m07.md."""

from __future__ import annotations

import time

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.course import lessons
from core.data import scenes
from core.lessons import captioner_views, shipped
from core.models import inference
from core.training import captioning as captioning_training
from core.training import checkpoints
from core.ui import charts, guard, lesson

ZOOM = 5  # 48-pixel pictures shown at 240 pixels
NOTHING = "nothing"
KINDS = [NOTHING] + [f"{c} {s}" for c in scenes.COLOURS for s in scenes.SHAPES]


@st.cache_resource(show_spinner="Loading the captioner...")
def get_captioner():
    """(model, manifest entry) for checkpoints/captioner.pt: verified, eval mode, frozen, shared by sessions."""
    inference.configure_threads()
    return captioning_training.load_inference()


def _model_or_warning():
    try:
        return get_captioner()
    except checkpoints.CheckpointError as exc:
        guard.report("captioner", exc)  # no server paths on the page; the details (and the fix) go to the log
        return None


@st.cache_data(show_spinner=False, max_entries=512)
def _describe(image: np.ndarray, hard: bool = False, seed: int = 0) -> captioning_training.Description:
    model, _ = get_captioner()
    return captioning_training.describe(model, image, hard=hard, seed=seed)


def _scene_from_seed(seed: int) -> scenes.Scene:
    return captioner_views.demo_scene(seed)[0]


def _next_mistake(current: int) -> int:
    known = captioner_views.KNOWN_MISTAKES
    return known[(known.index(current) + 1) % len(known)] if current in known else known[0]


def _picture(key_prefix: str) -> tuple[np.ndarray | None, scenes.Scene | None]:
    """The picture the learner chose: a random scene, one they build, or an upload (None if not usable yet)."""
    source = st.radio("Picture", ["random", "build", "upload"], horizontal=True, key=f"{key_prefix}-cap-source",
                      format_func={"random": "random scene", "build": "build a scene",
                                   "upload": "upload a picture"}.get)
    if source == "random":
        seed_key = f"{key_prefix}-cap-seed"
        cols = st.columns([2, 1, 1])
        # set here, not as value=: the buttons below also write it. The first scene is one it gets right.
        st.session_state.setdefault(seed_key, captioner_views.DEFAULT_SCENE)
        seed = cols[0].number_input("scene number", 0, 10**6, key=seed_key)
        cols[1].button("New scene", key=f"{key_prefix}-cap-next", icon=":material/casino:",
                       on_click=lambda: st.session_state.update({seed_key: int(st.session_state[seed_key]) + 1}))
        cols[2].button("One it gets wrong", key=f"{key_prefix}-cap-wrong", icon=":material/error:",
                       help="Cycle through scenes this model is known to caption wrongly.",
                       on_click=lambda: st.session_state.update({seed_key: _next_mistake(st.session_state[seed_key])}))
        scene = _scene_from_seed(int(seed))
        return scenes.render(scene, noise_seed=int(seed)), scene
    if source == "build":
        cols = st.columns(len(scenes.PLACES))
        picks = {place: col.selectbox(place, KINDS, index=0, key=f"{key_prefix}-cap-{place}")
                 for col, place in zip(cols, scenes.PLACES, strict=True)}
        objects = {p: tuple(k.split()) for p, k in picks.items() if k != NOTHING}
        if not 1 <= len(objects) <= scenes.MAX_OBJECTS:
            st.info(f"Put between 1 and {scenes.MAX_OBJECTS} shapes in the scene (the training scenes never had "
                    "more or fewer).", icon=":material/info:")
            return None, None
        scene = scenes.make_scene(objects)
        return scenes.render(scene), scene
    st.caption(lessons.block("m06", "upload-how"))
    upload = st.file_uploader("Picture (PNG, JPEG, WebP, BMP, GIF)", type=["png", "jpg", "jpeg", "webp", "bmp", "gif"],
                              key=f"{key_prefix}-cap-upload")
    if upload is None:
        return None, None
    try:
        return scenes.from_upload(upload.getvalue()), None
    except scenes.PictureError as exc:
        st.error(str(exc), icon=":material/broken_image:")
        return None, None


def _grid_chart(values: np.ndarray, title: str, legend: str) -> alt.Chart:
    g = values.shape[0]
    df = pd.DataFrame([{"row": r, "col": c, "value": float(values[r, c])} for r in range(g) for c in range(g)])
    return alt.Chart(df, title=title).mark_rect().encode(
        x=alt.X("col:O", title="column"), y=alt.Y("row:O", title="row (top to bottom)"),
        color=alt.Color("value:Q", scale=alt.Scale(scheme="viridis"), legend=alt.Legend(title=legend, orient="bottom")),
        tooltip=["row", "col", alt.Tooltip("value:Q", format=".3f")]).properties(width=alt.Step(32),
                                                                                 height=alt.Step(32))


@st.cache_data(show_spinner=False, max_entries=512)
def _grid_spec(values: np.ndarray, title: str, legend: str) -> dict:
    # pad: 32 px per cell, and the axes, title and legend are added around the grid (Streamlit's default "fit"
    # squeezed all of them into the grid's own size and left a 30x80 px sliver).
    return {**_grid_chart(values, title, legend).to_dict(validate=False),
            "autosize": {"type": "pad", "contains": "padding"}}


def _feature_map(desc: captioning_training.Description, key_prefix: str) -> None:
    fmap = desc.feature_map  # (C, G, G)
    c, g = fmap.shape[0], fmap.shape[1]
    view = st.radio("Feature map view", ["strength", "channel"], horizontal=True, key=f"{key_prefix}-cap-fview",
                    format_func={"strength": f"overall strength (length of each cell's {c}-number vector)",
                                 "channel": "one channel"}.get)
    if view == "strength":
        charts.show_spec(_grid_spec(captioner_views.feature_strength(fmap), "CNN feature strength per cell",
                                    "length"), width="content")
    else:
        strongest = captioner_views.strongest_channels(fmap)
        ch = st.slider("channel", 0, c - 1, strongest[0], key=f"{key_prefix}-cap-channel",
                       help=f"The most active channels for this picture: {', '.join(map(str, strongest[:5]))}.")
        charts.show_spec(_grid_spec(fmap[ch], f"CNN feature channel {ch}", "activation"), width="content")
    st.caption(f"The CNN turns the 48x48 picture into a {g}x{g} grid; each cell holds {c} numbers describing its "
               "8x8-pixel patch and surroundings. This grid is all the decoder ever sees of the picture.")


def _verdict(pred: str, scene: scenes.Scene) -> None:
    s = captioning_training.attribute_scores([pred], [scene])
    if s["exact"]:
        st.success(f"Exactly right. The scene: *{scene.caption}*.", icon=":material/check_circle:")
        return
    marks = {k: "✓" if s[k] == 1 else ("✗" if s[k] == 0 else f"{s[k]:.0%}") for k in
             ("count", "places", "colour", "shape")}
    st.warning(f"Not quite. The scene: *{scene.caption}*. Number of objects {marks['count']} · places "
               f"{marks['places']} · colours {marks['colour']} · shapes {marks['shape']}"
               + ("" if s["grammatical"] else " (the caption does not even follow the scene grammar)"),
               icon=":material/error:")


@st.fragment
def captioning_demo(key_prefix: str = "m06") -> None:
    st.subheader("Image captioning demo")
    loaded = _model_or_warning()
    if loaded is None:
        return
    _, entry = loaded
    st.markdown(lessons.block("m06", "captioner-intro") + f" It knows {len(scenes.WORDS)} words and nothing else: "
                "four colours, three shapes, five places, and counts.")
    image, scene = _picture(key_prefix)
    if image is None:
        return
    desc = _describe(image)
    left, right = st.columns(2)
    with left:
        st.image(scenes.upscale(image, ZOOM), caption="What the model sees (48x48 pixels, enlarged)")
    with right:
        _feature_map(desc, key_prefix)
    lesson.text("m06", "caption-word-by-word")
    n = len(desc.words)
    play = st.button("Play", key=f"{key_prefix}-cap-play", icon=":material/play_arrow:")
    t = st.slider("words written", 1, n, n, key=f"{key_prefix}-cap-step") if n > 1 else 1
    shown = st.empty()
    if play:
        for k in range(1, n + 1):
            shown.markdown("### " + " ".join(w for w in desc.words[:k] if w != scenes.EOS) + " ▌")
            time.sleep(0.15)
    words = [w for w in desc.words[:t] if w != scenes.EOS]
    shown.markdown("### " + (" ".join(words) or "…") + (" ▌" if t < n else ""))
    cols = st.columns([1, 1])
    with cols[0]:
        st.dataframe(pd.DataFrame([{"candidate": w, "probability": f"{p:.1%}"} for w, p in desc.top[t - 1]]),
                     hide_index=True)
        st.caption(f"Step {t}: the three most likely next words. It wrote **{desc.words[t - 1]}**.")
    with cols[1]:
        st.image(scenes.overlay(image, desc.attention[t - 1], 3),
                 caption=f"Where it looked for step {t} (soft attention; module 7 explains)")
    if scene is not None:
        _verdict(desc.caption, scene)
    else:
        st.info(lessons.block("m06", "upload-no-answer"), icon=":material/info:")
    _honest_scores(entry)


def _honest_scores(entry: dict) -> None:
    m = entry["metrics"]
    with st.expander("How often it is wrong, measured", icon=":material/fact_check:"):
        rows = [{"objects in scene": "all", "scenes": m["n"], **{k: m["soft"][k] for k in
                                                                   ("exact", "count", "places", "colour", "shape")}}]
        rows += [{"objects in scene": k, "scenes": v["n"], **{a: v[a] for a in
                                                                 ("exact", "count", "places", "colour", "shape")}}
                 for k, v in m["by_objects"].items()]
        fmt = {k: st.column_config.NumberColumn(format="percent") for k in
               ("exact", "count", "places", "colour", "shape")}
        st.dataframe(pd.DataFrame(rows), hide_index=True, column_config=fmt)
        st.caption(f"{m['test']}. *exact*: the whole caption right; *count*: the right number of objects; *places*: "
                   "exactly the right places; *colour*/*shape*: per object, the right colour (shape) named at its "
                   f"place. Guessing would give about {m['chance']['colour']:.0%} on colour and "
                   f"{m['chance']['shape']:.0%} on shape.")
        st.caption(f"Measured on {entry['produced_at'][:10]} by `{entry['recipe']['command']}`.")
        if m["errors"]:
            st.markdown("Some of its mistakes on held-out scenes:")
            st.table(pd.DataFrame(m["errors"][:6]))  # whole captions, wrapped


def image_attention_if_installed(key_prefix: str) -> bool:
    """Module 7's image attention demo, or a note when the captioner's checkpoint is not installed (then False)."""
    if not shipped.is_shipped(captioning_training.RECIPE, None):
        guard.not_installed("The captioner from Module 6 (used by the image attention demo)",
                            f"python -m core.train --recipe {captioning_training.RECIPE}")
        return False
    image_attention_demo(key_prefix)
    return True


@st.fragment
def image_attention_demo(key_prefix: str = "m07") -> None:
    """Per-word attention over the CNN grid, soft and hard side by side."""
    st.subheader("Image attention: where the captioner looks for each word")
    loaded = _model_or_warning()
    if loaded is None:
        return
    _, entry = loaded
    cols = st.columns(2)
    seed = int(cols[0].number_input("scene number", 0, 10**6, 3, key=f"{key_prefix}-att-seed"))
    draw = int(cols[1].number_input("hard attention: random draw", 0, 10**6, 0, key=f"{key_prefix}-att-draw",
                                    help="Hard attention samples one cell per word; change this to sample again."))
    scene = _scene_from_seed(seed)
    image = scenes.render(scene, noise_seed=seed)
    soft, hard = _describe(image), _describe(image, hard=True, seed=draw)
    st.markdown(f"True scene: *{scene.caption}*")
    left, right = st.columns(2)
    left.markdown(f"**Soft attention** writes: *{soft.caption or '(nothing)'}*")
    right.markdown(f"**Hard attention** (draw {draw}) writes: *{hard.caption or '(nothing)'}*")
    n = max(len(soft.words), len(hard.words))
    t = st.slider("word", 1, n, 1, key=f"{key_prefix}-att-word") if n > 1 else 1
    with left:
        if t <= len(soft.words):
            st.image(scenes.overlay(image, soft.attention[t - 1], ZOOM),
                     caption=f"word {t}: '{soft.words[t - 1]}' · a weighted blend of all {soft.attention[t - 1].size} "
                             f"cells (the brightest gets {soft.attention[t - 1].max():.0%})")
        else:
            st.caption("The soft caption ended earlier.")
    with right:
        if t <= len(hard.words):
            one_hot = captioner_views.hard_cell_map(hard.attention[t - 1], hard.cells[t - 1])
            st.image(scenes.overlay(image, one_hot, ZOOM),
                     caption=f"word {t}: '{hard.words[t - 1]}' · read one cell only, drawn with probability "
                             f"{hard.attention[t - 1].flat[hard.cells[t - 1]]:.0%}")
        else:
            st.caption("The hard caption ended earlier.")
    st.caption(lessons.block("m07", "image-attention-where"))
    with st.expander("Every word's soft attention at once", icon=":material/grid_view:"):
        per_row = 6
        for start in range(0, len(soft.words), per_row):
            row = st.columns(per_row)
            for col, k in zip(row, range(start, min(start + per_row, len(soft.words))), strict=False):
                col.image(scenes.overlay(image, soft.attention[k], 2), caption=f"{k + 1}. {soft.words[k]}")
    m = entry["metrics"]
    st.caption(f"Honest note: this model was trained with soft attention only. Hard attention here is sampled from "
               f"the soft weights at inference time, which the model never practised: on {m['n']:,} held-out scenes "
               f"it gets {m['hard_sampled']['exact']:.0%} of captions exactly right with hard attention against "
               f"{m['soft']['exact']:.0%} with soft (one draw each). Xu et al. (2015) trained their hard-attention "
               "model with a sampling-based (REINFORCE) objective; that costs far more training than we spend here.")

"""The synthetic scene generator: reproducible from a seed, and every caption says exactly what was drawn."""

import random

import numpy as np
import pytest

from core.data import scenes


def test_the_same_seed_gives_the_same_scenes_and_pixels():
    a_img, a_sc = scenes.dataset(40, 7)
    b_img, b_sc = scenes.dataset(40, 7)
    assert a_sc == b_sc
    assert np.array_equal(a_img, b_img)
    c_img, c_sc = scenes.dataset(40, 8)
    assert c_sc != a_sc


def test_captions_and_facts_agree_for_many_scenes():
    rng = random.Random(0)
    for _ in range(500):
        scene = scenes.random_scene(rng)
        facts = scene.facts
        assert facts["count"] == len(scene.objects) == len(facts["objects"])  # one object per place
        assert scenes.parse_caption(scene.caption) == facts["objects"]
        assert len(scene.caption.split()) <= scenes.MAX_CAPTION
        assert all(w in scenes.WORDS for w in scene.caption.split())


def test_identical_objects_are_counted_and_listed_top_to_bottom():
    objs = {"bottom": ("red", "circle"), "top": ("red", "circle"), "left": ("blue", "square")}
    assert scenes.caption_of(objs) == "two red circles at the top and at the bottom and a blue square on the left"
    assert scenes.caption_of({"centre": ("green", "triangle")}) == "a green triangle in the centre"


@pytest.mark.parametrize("bad", ["", "a red", "two red circle at the top", "a red circle at the top and",
                                 "a red circle at the top and a blue square at the top", "red circle on the left",
                                 "a purple circle on the left", "two red circles at the top"])
def test_captions_off_the_grammar_do_not_parse(bad):
    assert scenes.parse_caption(bad) is None


def test_pixels_show_the_objects_at_their_places():
    scene = scenes.make_scene({"left": ("red", "square"), "right": ("blue", "circle")}, seed=3)
    img = scenes.render(scene, noise_seed=None)
    assert img.shape == (scenes.SIZE, scenes.SIZE, 3) and img.dtype == np.uint8
    c = scenes.CELL
    left, right, top = img[c:2 * c, :c], img[c:2 * c, 2 * c:], img[:c, c:2 * c]
    assert (left == scenes.COLOURS["red"]).all(-1).sum() > 50
    assert (right == scenes.COLOURS["blue"]).all(-1).sum() > 50
    assert (top == 20).all()  # nothing at the top


def test_dataset_images_match_single_renders_apart_from_noise():
    images, sc = scenes.dataset(5, 3)
    assert images.shape == (5, 3, scenes.SIZE, scenes.SIZE) and images.dtype == np.float32
    clean = scenes.to_tensor_array(scenes.render(sc[0], noise_seed=None))
    shape_pixels = clean.max(0) > 30 / 255
    assert np.allclose(images[0][:, shape_pixels], clean[:, shape_pixels])
    assert 0 < np.abs(images[0] - clean).max() < 40 / 255


def test_make_scene_rejects_impossible_requests():
    with pytest.raises(ValueError):
        scenes.make_scene({})
    with pytest.raises(ValueError):
        scenes.make_scene({"middle": ("red", "circle")})


def test_uploads_are_resized_and_bad_files_get_a_clear_error():
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 10, 10)).save(buf, format="PNG")
    img = scenes.from_upload(buf.getvalue())
    assert img.shape == (scenes.SIZE, scenes.SIZE, 3)
    assert tuple(img[24, 24]) == (200, 10, 10)
    for bad in (b"", b"not a picture at all"):
        with pytest.raises(scenes.PictureError):
            scenes.from_upload(bad)


def test_overlay_brightens_the_attended_cell():
    img = np.full((48, 48, 3), 100, np.uint8)
    w = np.zeros((6, 6))
    w[2, 3] = 1.0
    out = scenes.overlay(img, w, factor=5)
    assert out.shape == (240, 240, 3)
    assert out[2 * 40 + 5, 3 * 40 + 5, 0] > out[5, 5, 0]

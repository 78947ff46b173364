"""What the captioner demos draw, against numpy written out by hand."""

import numpy as np

from core.lessons import captioner_views


def _fmap():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 4, 4))  # (C, G, G)


def test_feature_strength_is_each_cells_vector_length():
    fmap = _fmap()
    strength = captioner_views.feature_strength(fmap)
    assert strength.shape == (4, 4)
    for r in range(4):
        for c in range(4):
            assert strength[r, c] == np.sqrt((fmap[:, r, c] ** 2).sum())


def test_strongest_channels_are_ordered_by_their_peak_activation():
    fmap = np.zeros((3, 2, 2))
    fmap[0, 0, 0], fmap[1, 1, 1], fmap[2, 0, 1] = 0.5, 2.0, 1.0
    assert captioner_views.strongest_channels(fmap) == [1, 2, 0]
    assert sorted(captioner_views.strongest_channels(_fmap())) == list(range(5))


def test_hard_cell_map_marks_only_the_sampled_cell():
    soft = np.full((3, 3), 1 / 9)
    one_hot = captioner_views.hard_cell_map(soft, 5)
    assert one_hot.shape == soft.shape and one_hot.sum() == 1.0 and one_hot[1, 2] == 1.0
    assert soft.sum() == np.float64(1 / 9) * 9  # the soft weights are left alone


def test_the_first_scene_is_captioned_right_and_the_known_mistakes_are_wrong():
    """Module 6's first impression is a correct caption; its mistakes are shown on request (real model outputs)."""
    import pytest

    from core.training import captioning as captioning_training
    from core.training import checkpoints

    try:
        model, _ = captioning_training.load_inference()
    except checkpoints.CheckpointError:
        pytest.skip("the captioner is not shipped")
    scene, image = captioner_views.demo_scene(captioner_views.DEFAULT_SCENE)
    assert captioning_training.describe(model, image).caption == scene.caption
    for seed in captioner_views.KNOWN_MISTAKES:
        scene, image = captioner_views.demo_scene(seed)
        assert captioning_training.describe(model, image).caption != scene.caption

"""What the captioner demos draw from one description: the CNN feature grid's strength per cell, its most active
channels, and the single cell a hard-attention step read (Modules 6 and 7)."""

from __future__ import annotations

import random

import numpy as np

from core.data import scenes

# Scene numbers of the Module 6 demo (core.ui.lessons.captioning): the first picture a learner sees is one the
# shipped captioner describes exactly; its known mistakes are offered separately (tests/lessons/test_captioner_views.py
# checks both against the checkpoint).
DEFAULT_SCENE = 34  # "two green triangles at the top and in the centre and a green square on the right"
KNOWN_MISTAKES = (0, 31, 30)  # wrong count of triangles, a circle called a square, two triangles split in three


def feature_strength(fmap: np.ndarray) -> np.ndarray:
    """Length of each grid cell's feature vector: (C, G, G) -> (G, G)."""
    return np.linalg.norm(fmap, axis=0)


def strongest_channels(fmap: np.ndarray) -> list[int]:
    """Channels ordered by their largest activation anywhere on the grid, strongest first: (C, G, G) -> C ids."""
    c = fmap.shape[0]
    return [int(i) for i in np.argsort(-fmap.reshape(c, -1).max(1))]


def hard_cell_map(weights: np.ndarray, cell: int) -> np.ndarray:
    """The map a hard-attention step reads: 1 at the sampled cell (a flat index), 0 elsewhere; same shape as the
    soft weights it was drawn from."""
    one_hot = np.zeros_like(weights)
    one_hot.flat[cell] = 1.0
    return one_hot


def demo_scene(seed: int) -> tuple[scenes.Scene, np.ndarray]:
    """(scene, picture) number `seed` of the demos; offset 10,000: not the training or evaluation streams."""
    scene = scenes.random_scene(random.Random(10_000 + seed))
    return scene, scenes.render(scene, noise_seed=seed)

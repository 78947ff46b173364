"""Synthetic scenes for the captioning demo: 48x48 RGB pictures of 1-3 coloured shapes at five places, each with
its caption and its facts. Everything is generated from a seed, so a scene (and a data set) is reproducible.

The caption is a fixed function of the facts: groups of identical objects (same colour and shape) are merged
("two red circles at the top and on the left"); groups and places are listed in the order top, left, centre,
right, bottom.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np

SIZE = 48  # pixels per side
CELL = SIZE // 3  # the picture is a 3x3 grid; five of its cells are places
COLOURS = {"red": (230, 50, 40), "green": (40, 190, 70), "blue": (50, 90, 240), "yellow": (240, 220, 40)}
SHAPES = ("circle", "square", "triangle")
PLACES = {"top": (0, 1), "left": (1, 0), "centre": (1, 1), "right": (1, 2), "bottom": (2, 1)}  # (row, col)
PLACE_PHRASE = {"top": "at the top", "left": "on the left", "centre": "in the centre", "right": "on the right",
                "bottom": "at the bottom"}
COUNT_WORDS = ("a", "two", "three")
MAX_OBJECTS = 3
PAD, SOS, EOS = "<pad>", "<sos>", "<eos>"
WORDS = ("a", "two", "three", *COLOURS, *SHAPES, *(s + "s" for s in SHAPES), "at", "on", "in", "the", "top",
         "left", "centre", "right", "bottom", "and")
VOCAB = (PAD, SOS, EOS, *WORDS)
WORD_ID = {w: i for i, w in enumerate(VOCAB)}
MAX_CAPTION = 20  # words in the longest caption (three different objects), <eos> not counted


@dataclass(frozen=True)
class Obj:
    colour: str
    shape: str
    place: str
    size: int  # pixels across
    dx: int  # offset of the centre from the cell's centre
    dy: int


@dataclass(frozen=True)
class Scene:
    objects: tuple[Obj, ...]

    @property
    def facts(self) -> dict:
        """What a caption must get right: the number of objects and, per place, the colour and shape there."""
        return {"count": len(self.objects),
                "objects": {o.place: (o.colour, o.shape) for o in self.objects}}

    @property
    def caption(self) -> str:
        return caption_of(self.facts["objects"])


def caption_of(objects: dict[str, tuple[str, str]]) -> str:
    """{place: (colour, shape)} -> the canonical caption."""
    order = list(PLACES)
    groups: dict[tuple[str, str], list[str]] = {}
    for place in sorted(objects, key=order.index):
        groups.setdefault(objects[place], []).append(place)
    parts = []
    for (colour, shape), places in groups.items():
        noun = shape if len(places) == 1 else shape + "s"
        where = " and ".join(PLACE_PHRASE[p] for p in places)
        parts.append(f"{COUNT_WORDS[len(places) - 1]} {colour} {noun} {where}")
    return " and ".join(parts)


def parse_caption(text: str) -> dict[str, tuple[str, str]] | None:
    """The inverse of caption_of: {place: (colour, shape)}, or None when the words do not follow the grammar."""
    words = text.split()
    phrases = {tuple(v.split()): k for k, v in PLACE_PHRASE.items()}
    out: dict[str, tuple[str, str]] = {}
    i = 0
    while i < len(words):
        if words[i] not in COUNT_WORDS or i + 2 >= len(words):
            return None
        count = COUNT_WORDS.index(words[i]) + 1
        colour, noun = words[i + 1], words[i + 2]
        shape = noun if count == 1 else noun.removesuffix("s")
        if colour not in COLOURS or shape not in SHAPES or (count > 1) != noun.endswith("s"):
            return None
        i += 3
        places = []
        while True:
            phrase = tuple(words[i:i + 3])
            if phrase not in phrases:
                return None
            places.append(phrases[phrase])
            i += 3
            if i < len(words) and words[i] == "and" and i + 1 < len(words) and words[i + 1] not in COUNT_WORDS:
                i += 1
                continue
            break
        if len(places) != count or any(p in out for p in places):
            return None
        out.update({p: (colour, shape) for p in places})
        if i < len(words):
            if words[i] != "and":
                return None
            i += 1
            if i >= len(words):
                return None
    return out or None


def random_scene(rng: random.Random, same_prob: float = 0.3) -> Scene:
    """1-3 objects at distinct places; with probability `same_prob` an object copies the previous one's colour
    and shape, so counts of two and three occur often enough to learn."""
    n = rng.randint(1, MAX_OBJECTS)
    places = rng.sample(list(PLACES), n)
    objs = []
    for k, place in enumerate(places):
        if k and rng.random() < same_prob:
            colour, shape = objs[-1].colour, objs[-1].shape
        else:
            colour, shape = rng.choice(list(COLOURS)), rng.choice(SHAPES)
        size = rng.randint(9, 14)
        slack = (CELL - size) // 2
        objs.append(Obj(colour, shape, place, size, rng.randint(-slack, slack), rng.randint(-slack, slack)))
    return Scene(tuple(objs))


def make_scene(objects: dict[str, tuple[str, str]], seed: int = 0) -> Scene:
    """A scene with exactly these objects ({place: (colour, shape)}); the seed sets sizes and offsets."""
    if not 1 <= len(objects) <= MAX_OBJECTS:
        raise ValueError(f"A scene holds 1 to {MAX_OBJECTS} objects, got {len(objects)}.")
    rng = random.Random(seed)
    objs = []
    for place, (colour, shape) in objects.items():
        if place not in PLACES or colour not in COLOURS or shape not in SHAPES:
            raise ValueError(f"Unknown place, colour or shape: {place!r}, {colour!r}, {shape!r}.")
        size = rng.randint(9, 14)
        slack = (CELL - size) // 2
        objs.append(Obj(colour, shape, place, size, rng.randint(-slack, slack), rng.randint(-slack, slack)))
    return Scene(tuple(objs))


_YY, _XX = np.mgrid[0:SIZE, 0:SIZE] + 0.5  # pixel centres


def _mask(o: Obj) -> np.ndarray:
    row, col = PLACES[o.place]
    cx, cy = col * CELL + CELL / 2 + o.dx, row * CELL + CELL / 2 + o.dy
    r = o.size / 2
    if o.shape == "circle":
        return (_XX - cx) ** 2 + (_YY - cy) ** 2 <= r * r
    if o.shape == "square":
        return (np.abs(_XX - cx) <= r) & (np.abs(_YY - cy) <= r)
    # triangle pointing up: inside when below the two slanted edges and above the base
    top, base = cy - r, cy + r
    half = (_YY - top) / (2 * r) * r
    return (_YY >= top) & (_YY <= base) & (np.abs(_XX - cx) <= half)


def render(scene: Scene, noise_seed: int | None = 0) -> np.ndarray:
    """(SIZE, SIZE, 3) uint8 picture: dark background with mild noise, the shapes painted on top."""
    img = np.full((SIZE, SIZE, 3), 20.0)
    if noise_seed is not None:
        img += np.random.default_rng(noise_seed).normal(0, 6, img.shape).astype(np.float32)
    for o in scene.objects:
        img[_mask(o)] = COLOURS[o.colour]
    return np.clip(img, 0, 255).astype(np.uint8)


def to_tensor_array(img: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) -> float32 (3, H, W) in [0, 1], the model's input layout."""
    return np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0


def encode_caption(text: str) -> list[int]:
    return [WORD_ID[w] for w in text.split()] + [WORD_ID[EOS]]


def decode_ids(ids: list[int]) -> str:
    words = []
    for i in ids:
        if VOCAB[i] == EOS:
            break
        if VOCAB[i] not in (PAD, SOS):
            words.append(VOCAB[i])
    return " ".join(words)


def dataset(n: int, seed: int) -> tuple[np.ndarray, list[Scene]]:
    """n scenes from `seed`: images (n, 3, SIZE, SIZE) float32 and the scenes. Training uses seeds >= 1000,
    evaluation seeds < 1000, so no random stream is shared."""
    rng = random.Random(seed)
    scenes = [random_scene(rng) for _ in range(n)]
    clean = np.stack([render(s, noise_seed=None) for s in scenes]).astype(np.float32)  # (n, H, W, 3)
    noise = np.random.default_rng(seed).normal(0, 6, clean.shape).astype(np.float32)
    noisy = np.where(clean > 20.0, clean, clean + noise)  # the same noise model as render(): background only
    images = np.clip(noisy, 0, 255).round().transpose(0, 3, 1, 2) / 255.0
    return np.ascontiguousarray(images, dtype=np.float32), scenes


def upscale(img: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement for display (a 48-pixel picture is too small to see)."""
    return img.repeat(factor, axis=0).repeat(factor, axis=1)


def overlay(img: np.ndarray, weights: np.ndarray, factor: int = 5) -> np.ndarray:
    """The picture dimmed, with a grid of weights (G, G) drawn on top in orange: brighter = more weight.
    The weights are scaled so that the largest is fully bright."""
    big = upscale(img, factor).astype(np.float32)
    g = weights.shape[0]
    w = np.asarray(weights, dtype=np.float32)
    w = w / w.max() if w.max() > 0 else w
    heat = upscale(w, big.shape[0] // g)[..., None]  # (H, W, 1)
    heat = np.pad(heat, ((0, big.shape[0] - heat.shape[0]), (0, big.shape[1] - heat.shape[1]), (0, 0)))
    out = big * (0.35 + 0.65 * heat) + np.array([255.0, 140.0, 0.0]) * 0.45 * heat
    return np.clip(out, 0, 255).astype(np.uint8)


class PictureError(ValueError):
    """An uploaded file that cannot be read as a picture."""


MAX_UPLOAD_BYTES = 5_000_000


def from_upload(data: bytes) -> np.ndarray:
    """Uploaded image bytes -> (SIZE, SIZE, 3) uint8, centre-cropped to a square and resized."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise PictureError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise PictureError(f"The file is {len(data) / 1e6:.1f} MB; please use a picture under 5 MB.")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (SIZE * 4, SIZE * 4))  # JPEG: decode at reduced size
            if im.width * im.height > 50_000_000:
                raise PictureError("The picture has too many pixels.")
            im = im.convert("RGB")
            side = min(im.size)
            left, top = (im.width - side) // 2, (im.height - side) // 2
            im = im.crop((left, top, left + side, top + side)).resize((SIZE, SIZE), Image.Resampling.LANCZOS)
            return np.asarray(im, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise PictureError(f"This file could not be read as a picture ({type(e).__name__}).") from e

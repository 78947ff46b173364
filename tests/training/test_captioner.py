"""The scene captioner: shapes, attention that sums to 1, hard attention reading one cell, an overfit check, the
scores, and the shipped checkpoint beating chance on held-out scenes."""

import numpy as np
import pytest
import torch

from core.data import scenes
from core.models.captioner import Captioner, CaptionerConfig
from core.training import captioning as ct
from core.training import checkpoints

torch.set_num_threads(1)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return Captioner(ct.model_config())


def test_shapes_and_soft_attention_sums_to_one(model):
    images, sc = scenes.dataset(4, 5)
    caps = ct.caption_tensor([s.caption for s in sc])
    logits, attn = model(torch.from_numpy(images), caps)
    g = model.cfg.grid
    assert g == 6
    assert logits.shape == (4, caps.shape[1], len(scenes.VOCAB))
    assert attn.shape == (4, caps.shape[1], g * g)
    assert torch.allclose(attn.sum(-1), torch.ones(4, caps.shape[1]), atol=1e-5)
    assert model.encoder.feature_map(torch.from_numpy(images)).shape == (4, 64, g, g)


def test_generate_returns_per_word_attention_and_hard_cells(model):
    images, _ = scenes.dataset(3, 6)
    x = torch.from_numpy(images)
    with torch.inference_mode():
        soft = model.generate(x)
        hard = model.generate(x, hard=True, generator=torch.Generator().manual_seed(0))
    T = soft.tokens.shape[1]
    assert soft.attention.shape == (3, T, 36) and soft.cells is None
    assert torch.allclose(soft.probs.sum(-1), torch.ones(3, T), atol=1e-5)
    assert hard.cells.shape == hard.tokens.shape[:2]
    assert int(hard.cells.min()) >= 0 and int(hard.cells.max()) < 36


def test_hard_attention_reads_exactly_the_sampled_cell(model):
    images, _ = scenes.dataset(2, 9)
    x = torch.from_numpy(images)
    with torch.inference_mode():
        feats, keys, state = model.start(x)
        y0 = torch.full((2,), model.cfg.sos_id)
        cells = torch.tensor([5, 30])
        logits_hard, _, _ = model.step(y0, state, feats, keys, cells)
        # the same step with the context set by hand to those cells' features
        emb = model.embedding(y0)
        z = feats[torch.arange(2), cells]
        h, _ = model.cell(torch.cat([emb, z], -1), state)
        expected = model.head(torch.cat([h, z, emb], -1))
    assert torch.allclose(logits_hard, expected, atol=1e-6)


def test_training_overfits_a_few_scenes():
    torch.manual_seed(0)
    model = Captioner(CaptionerConfig(vocab_size=len(scenes.VOCAB), channels=(8, 16, 32), hidden=64, embed=16,
                                      attn_dim=32, max_len=scenes.MAX_CAPTION + 2))
    images, sc = scenes.dataset(4, 11)
    x, caps = torch.from_numpy(images), ct.caption_tensor([s.caption for s in sc])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(150):
        loss = model.loss(x, caps)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 * first
    assert ct.predict(model, images) == [s.caption for s in sc]


def test_attribute_scores_count_what_they_say():
    truth = [scenes.make_scene({"left": ("red", "circle"), "top": ("blue", "square")}),
             scenes.make_scene({"centre": ("green", "triangle")})]
    preds = ["a blue square at the top and a red triangle on the left",  # shape wrong on the left
             "gibberish words"]
    s = ct.attribute_scores(preds, truth)
    assert s == {"exact": 0.0, "grammatical": 0.5, "count": 0.5, "places": 0.5, "colour": round(2 / 3, 4),
                 "shape": round(1 / 3, 4)}
    assert ct.attribute_scores([t.caption for t in truth], truth)["exact"] == 1.0


def test_describe_rejects_pictures_of_the_wrong_size(model):
    with pytest.raises(ValueError):
        ct.describe(model, np.zeros((10, 10, 3), np.uint8))
    d = ct.describe(model, scenes.render(scenes.make_scene({"left": ("red", "circle")})), hard=True, seed=1)
    assert len(d.words) == len(d.top) == d.attention.shape[0] == len(d.cells)
    assert d.feature_map.shape == (64, 6, 6)


def test_a_truncated_checkpoint_fails_with_a_clear_error(tmp_path, model):
    facts = ct.save_file(tmp_path / "c.pt", model)
    checkpoints.register("c", {**facts, "model_type": ct.MODEL_TYPE, "config": model.cfg.to_dict()}, tmp_path)
    loaded, _ = ct.load("c", directory=tmp_path)
    assert loaded.cfg == model.cfg
    (tmp_path / "c.pt").write_bytes((tmp_path / "c.pt").read_bytes()[:1000])
    with pytest.raises(checkpoints.CheckpointError):
        ct.load("c", directory=tmp_path)


def test_shipped_captioner_loads_and_beats_chance_on_held_out_scenes():
    assert ct.RECIPE in checkpoints.names(model_type=ct.MODEL_TYPE), "checkpoints/captioner.pt is not shipped"
    model, entry = ct.load()
    assert entry["bytes"] < 3 * 2**20
    images, truth = scenes.dataset(150, 321)  # a seed neither training nor the manifest's evaluation used
    s = ct.attribute_scores(ct.predict(model, images), truth)
    for key in ("count", "colour", "shape", "places"):
        assert s[key] > ct.CHANCE[key] + 0.3, (key, s)
    assert abs(s["exact"] - entry["metrics"]["soft"]["exact"]) < 0.15  # the manifest's number is reproducible

"""The captioner's recipe, training loop (teacher forcing on generated scenes), evaluation on held-out scenes
(exact caption and per-attribute accuracy), checkpoint files, and `describe`, the one call pages make.

`python -m core.train --recipe captioner` lands in `run_recipe` here and writes checkpoints/captioner.pt.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from core.data import scenes
from core.models import inference
from core.models.captioner import Captioner, CaptionerConfig, num_params
from core.training import checkpoints
from core.training.loop import backward_clipped, warmup_cosine
from core.training.runs import hardware

MODEL_TYPE = "captioner"
RECIPE = "captioner"
TITLE = "Scene captioner: CNN 16-32-64 + LSTM 128 with soft attention over a 6x6 grid"
EVAL_N, EVAL_SEED = 2000, 1  # evaluation seeds are < 1000, training pool seeds >= 1000 (see scenes.dataset)
CHANCE = {"count": 1 / 3, "colour": 1 / len(scenes.COLOURS), "shape": 1 / len(scenes.SHAPES), "places": 1 / 25}


@dataclass
class CaptionTrainConfig:
    steps: int = 3500
    batch: int = 64
    pool: int = 16_000  # training scenes generated once (seed pool_seed), sampled with replacement
    pool_seed: int = 1000
    lr: float = 3e-3
    min_lr_fraction: float = 0.05
    warmup_steps: int = 100
    clip: float = 1.0
    seed: int = 0
    eval_every: int = 500
    cpu_budget_s: float = 540.0  # stop early if the process has used this much CPU time (one thread)


def model_config() -> CaptionerConfig:
    return CaptionerConfig(vocab_size=len(scenes.VOCAB), image_size=scenes.SIZE, max_len=scenes.MAX_CAPTION + 2,
                           pad_id=scenes.WORD_ID[scenes.PAD], sos_id=scenes.WORD_ID[scenes.SOS],
                           eos_id=scenes.WORD_ID[scenes.EOS])


def caption_tensor(captions: list[str]) -> torch.Tensor:
    """(B, T) word ids ending in <eos>, padded with <pad>."""
    ids = [scenes.encode_caption(c) for c in captions]
    out = torch.full((len(ids), max(map(len, ids))), scenes.WORD_ID[scenes.PAD], dtype=torch.long)
    for i, row in enumerate(ids):
        out[i, : len(row)] = torch.tensor(row)
    return out


def lr_at(cfg: CaptionTrainConfig, step: int) -> float:
    return warmup_cosine(cfg.lr, step, cfg.warmup_steps, cfg.min_lr_fraction, step / max(1, cfg.steps))


@dataclass
class StepInfo:
    step: int
    loss: float
    lr: float
    cpu_s: float
    val_exact: float | None


def train(model: Captioner, cfg: CaptionTrainConfig, on_step: Callable[[StepInfo], None] | None = None) -> dict:
    """Train in place; returns the history (per-step loss, validations, CPU seconds, why it stopped)."""
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    images, pool = scenes.dataset(cfg.pool, cfg.pool_seed)
    images_t = torch.from_numpy(images)  # (P, 3, S, S)
    captions = caption_tensor([s.caption for s in pool])  # (P, T_max)
    val_images, val_scenes = scenes.dataset(300, 999)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    hist: dict = {"step": [], "loss": [], "val": [], "cpu_s": 0.0, "stopped": ""}
    t0 = time.process_time()
    model.train()
    for step in range(1, cfg.steps + 1):
        idx = torch.randint(0, len(pool), (cfg.batch,), generator=gen)
        caps = captions[idx]
        caps = caps[:, : int((caps != scenes.WORD_ID[scenes.PAD]).sum(1).max())]  # drop all-pad columns
        lr = lr_at(cfg, step - 1)
        for group in opt.param_groups:
            group["lr"] = lr
        loss = model.loss(images_t[idx], caps)
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"Training diverged at step {step} (loss {loss.item()}); lower the learning rate.")
        backward_clipped(opt, loss, model, cfg.clip)
        opt.step()
        hist["step"].append(step)
        hist["loss"].append(round(loss.item(), 5))
        val = None
        if cfg.eval_every and step % cfg.eval_every == 0:
            val = exact_match(model, val_images, val_scenes)
            hist["val"].append([step, val])
            model.train()
        hist["cpu_s"] = time.process_time() - t0
        if on_step is not None:
            on_step(StepInfo(step, loss.item(), lr, hist["cpu_s"], val))
        if hist["cpu_s"] >= cfg.cpu_budget_s:
            hist["stopped"] = "cpu budget"
            break
    hist["stopped"] = hist["stopped"] or "steps"
    model.eval()
    return hist


# ---------------------------------------------------------------- evaluation
def predict(model: Captioner, images: np.ndarray, batch: int = 250, hard: bool = False, seed: int = 0) -> list[str]:
    """Captions for images (N, 3, S, S) float32."""
    was_training = model.training
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    out = []
    with torch.inference_mode():
        for k in range(0, len(images), batch):
            cap = model.generate(torch.from_numpy(images[k : k + batch]), hard=hard, generator=gen)
            out += [scenes.decode_ids(row) for row in cap.tokens.tolist()]
    model.train(was_training)
    return out


def exact_match(model: Captioner, images: np.ndarray, truth: list[scenes.Scene]) -> float:
    preds = predict(model, images)
    return round(sum(p == s.caption for p, s in zip(preds, truth, strict=True)) / len(truth), 4)


def attribute_scores(preds: list[str], truth: list[scenes.Scene]) -> dict:
    """Exact caption match and per-attribute accuracy.

    count: the caption names as many objects as there are; places: exactly the right set of places; colour and
    shape: per true object, the caption puts an object of that colour (shape) at that object's place. A caption
    that does not follow the grammar counts as wrong on every attribute."""
    n_obj = sum(len(s.objects) for s in truth)
    hits = {"exact": 0, "grammatical": 0, "count": 0, "places": 0, "colour": 0, "shape": 0}
    for pred, scene in zip(preds, truth, strict=True):
        hits["exact"] += pred == scene.caption
        parsed = scenes.parse_caption(pred)
        if parsed is None:
            continue
        hits["grammatical"] += 1
        true = scene.facts["objects"]
        hits["count"] += len(parsed) == len(true)
        hits["places"] += set(parsed) == set(true)
        for place, (colour, shape) in true.items():
            hits["colour"] += place in parsed and parsed[place][0] == colour
            hits["shape"] += place in parsed and parsed[place][1] == shape
    n = len(truth)
    return {k: round(v / (n_obj if k in ("colour", "shape") else n), 4) for k, v in hits.items()}


def evaluate(model: Captioner, n: int = EVAL_N, seed: int = EVAL_SEED) -> dict:
    """Held-out scenes (a seed no training stream uses): soft attention, hard attention (sampled, seed 0), by
    number of objects, and the first few mistakes."""
    images, truth = scenes.dataset(n, seed)
    preds = predict(model, images)
    hard = predict(model, images, hard=True, seed=0)
    by_count = {}
    for k in range(1, scenes.MAX_OBJECTS + 1):
        idx = [i for i, s in enumerate(truth) if len(s.objects) == k]
        by_count[str(k)] = {"n": len(idx), **attribute_scores([preds[i] for i in idx], [truth[i] for i in idx])}
    errors = [{"truth": s.caption, "predicted": p} for p, s in zip(preds, truth, strict=True) if p != s.caption]
    return {"test": f"{n} freshly generated scenes (seed {seed}); training scenes come from seed "
                    f"{CaptionTrainConfig.pool_seed}", "n": n,
            "soft": attribute_scores(preds, truth), "hard_sampled": attribute_scores(hard, truth),
            "by_objects": by_count, "chance": {k: round(v, 4) for k, v in CHANCE.items()}, "errors": errors[:10]}


# ---------------------------------------------------------------- what pages call
@dataclass
class Description:
    words: list[str]  # the caption, one entry per step; "<eos>" last when produced
    caption: str
    top: list[list[tuple[str, float]]]  # per step, the three most likely words and their probabilities
    attention: np.ndarray  # (steps, G, G) soft weights over grid cells
    cells: list[int] | None  # hard mode: the sampled cell per step (row-major index into the grid)
    feature_map: np.ndarray  # (C, G, G) CNN activations


def describe(model: Captioner, image: np.ndarray, hard: bool = False, seed: int = 0) -> Description:
    """Caption one uint8 picture (S, S, 3), with everything a page shows about how it was written."""
    if image.shape != (model.cfg.image_size, model.cfg.image_size, 3):
        raise ValueError(f"Expected a {model.cfg.image_size}x{model.cfg.image_size} RGB picture, got {image.shape}.")
    x = torch.from_numpy(scenes.to_tensor_array(image))[None]  # (1, 3, S, S)
    g = model.cfg.grid
    with torch.inference_mode():
        fmap = model.encoder.feature_map(x)[0].numpy()
        cap = model.generate(x, hard=hard, generator=torch.Generator().manual_seed(seed))
    ids = cap.tokens[0].tolist()
    n = next((i + 1 for i, t in enumerate(ids) if t == model.cfg.eos_id), len(ids))
    probs = cap.probs[0, :n]
    top = []
    for row in probs:
        p, i = row.topk(3)
        top.append([(scenes.VOCAB[j], round(float(q), 4)) for q, j in zip(p.tolist(), i.tolist(), strict=True)])
    return Description([scenes.VOCAB[i] for i in ids[:n]], scenes.decode_ids(ids), top,
                       cap.attention[0, :n].reshape(n, g, g).numpy(),
                       cap.cells[0, :n].tolist() if cap.cells is not None else None, fmap)


# ---------------------------------------------------------------- checkpoint files (core.training.checkpoints reads them)
FAMILY = checkpoints.family(MODEL_TYPE, "a captioner", CaptionerConfig, Captioner, fixed={"vocab": list(scenes.VOCAB)})


def save_file(path: Path, model: Captioner) -> dict:
    return checkpoints.save_file(path, model, model_type=MODEL_TYPE)


def load_file(path: Path, device: torch.device | str | None = None) -> Captioner:
    return checkpoints.load_file(path, device, model_type=MODEL_TYPE)


def load(name: str = RECIPE, device: torch.device | str | None = None,
         directory: Path | str | None = None) -> tuple[Captioner, dict]:
    """(model in eval mode, manifest entry), verified against the manifest (core.training.checkpoints.load)."""
    return checkpoints.load(name, device, directory=directory, model_type=MODEL_TYPE)


# ---------------------------------------------------------------- the recipe
def _curve(hist: dict, points: int = 200) -> dict:
    n, k = len(hist["step"]), max(1, math.ceil(len(hist["step"]) / points))
    return {"window": k, "step": [hist["step"][min(i + k, n) - 1] for i in range(0, n, k)],
            "train_loss": [round(sum(hist["loss"][i:i + k]) / len(hist["loss"][i:i + k]), 4) for i in range(0, n, k)],
            "val_exact_match": [{"step": s, "exact": v} for s, v in hist["val"]]}


def run_recipe(threads: int, cfg: CaptionTrainConfig | None = None, directory: Path | str | None = None) -> dict:
    cfg = cfg or CaptionTrainConfig()
    torch.manual_seed(cfg.seed)
    model = Captioner(model_config())
    print(f"[{RECIPE}] {num_params(model):,} params, {threads} thread(s)", flush=True)

    def on_step(info: StepInfo) -> None:
        if info.step % 100 == 0 or info.val_exact is not None:
            val = f" val exact {info.val_exact:.3f}" if info.val_exact is not None else ""
            print(f"[{RECIPE}] step {info.step} loss {info.loss:.4f} lr {info.lr:.2e} {info.cpu_s:.0f} cpu-s{val}",
                  flush=True)

    t_wall = time.perf_counter()
    hist = train(model, cfg, on_step)
    wall = time.perf_counter() - t_wall
    folder = Path(directory) if directory is not None else checkpoints.CHECKPOINT_DIR
    facts = save_file(folder / f"{RECIPE}.pt", model)
    shipped = load_file(folder / f"{RECIPE}.pt")  # measure what ships (float16 weights)
    metrics = evaluate(shipped)
    entry = {
        "title": TITLE, "kind": "captioner", "model_type": MODEL_TYPE, "tags": ["m06", "m07"],
        "config": shipped.cfg.to_dict(), "params": num_params(shipped), "vocab": list(scenes.VOCAB), **facts,
        "metrics": metrics,
        "training": {"steps": hist["step"][-1] if hist["step"] else 0, "cpu_s": round(hist["cpu_s"], 1),
                     "wall_s": round(wall, 1), "stopped": hist["stopped"]},
        "curve": _curve(hist),
        "data": {"generator": "core.data.scenes (dataset)", "train_pool": cfg.pool, "train_pool_seed": cfg.pool_seed,
                 "eval_seed": EVAL_SEED, "eval_n": EVAL_N},
        "recipe": {"name": RECIPE, "command": f"python -m core.train --recipe {RECIPE}",
                   "train_config": asdict(cfg),
                   "notes": "Trained with soft attention only; hard attention is sampled from the soft weights at "
                            "inference time."},
        "hardware": hardware(threads, torch.device("cpu")),
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    checkpoints.register(RECIPE, entry, directory)
    print(f"[{RECIPE}] saved {facts['file']} ({facts['bytes']:,} bytes): exact {metrics['soft']['exact']}, "
          f"hard {metrics['hard_sampled']['exact']}", flush=True)
    return entry


def run(resume: bool, threads: int) -> dict:
    """The recipe registry's entry point. There is no resumable state: a run takes under ten CPU-minutes."""
    if resume:
        print(f"[{RECIPE}] --resume is not supported for this short recipe; training from scratch.", flush=True)
    return run_recipe(threads)


def load_inference(name: str = RECIPE) -> tuple[Captioner, dict]:
    """Model for read-only serving: verified, eval mode, frozen."""
    model, e = load(name)
    return inference.prepare(model, torch.device("cpu")), e

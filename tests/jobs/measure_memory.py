"""`python -m tests.jobs.measure_memory KIND LAYERS HIDDEN EMBED BATCH SEQ_LEN CHARS [STEPS]`: how much this process's
resident memory grows while one in-app training run trains (the runner's path: the text, its split, its encoding,
the fused model, the loop with an evaluation and a sample, the cells twin and its saved bytes), after a small
warm-up run so that the one-time costs of torch are not counted. Prints one JSON line with the estimate beside it."""

import gc
import io
import json
import os
import random
import sys
import threading
import time

import torch

from core.data.corpora import TextData, split_text
from core.jobs.spec import JobSpec, count_params, estimate_memory_mb, model_config
from core.models.charlm import build, cells_twin
from core.training.loop import TrainConfig, train


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def corpus(chars: int, vocab: int = 65, seed: int = 0) -> str:
    """Word-like text of `chars` characters over `vocab` distinct characters."""
    rng = random.Random(seed)
    alphabet = [chr(33 + i) for i in range(vocab - 2)]
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    out, size = [], 0
    while size < chars:
        word = rng.choice(words) + (" " if rng.random() > 0.1 else "\n")
        out.append(word)
        size += len(word)
    return "".join(out)[:chars]


def run(spec: JobSpec, steps: int) -> int:
    train_text, val_text = split_text(spec.text)
    data = TextData.from_text(train_text + val_text)
    torch.manual_seed(0)
    model = build(model_config(spec, len(data.vocab)))
    cfg = TrainConfig(batch=spec.batch, seq_len=spec.seq_len, lr=spec.lr, max_steps=steps, warmup_steps=5, clip=1.0,
                      eval_every=steps, eval_chars=20_000, sample_every=steps, sample_len=160, on_nan="stop")
    train(model, data, cfg)
    torch.save(cells_twin(model).state_dict(), io.BytesIO())
    return len(data.vocab)


def main(argv: list[str]) -> dict:
    torch.set_num_threads(1)
    kind = argv[0]
    layers, hidden, embed, batch, seq_len, chars = map(int, argv[1:7])
    steps = int(argv[7]) if len(argv) > 7 else 20
    run(JobSpec(owner="warm-up", text=corpus(20_000, seed=1), corpus="c", kind=kind, hidden=16, embed=8, batch=4,
                seq_len=16), 3)
    gc.collect()
    spec = JobSpec(owner="m", text=corpus(chars), corpus="c", kind=kind, hidden=hidden, layers=layers, embed=embed,
                   batch=batch, seq_len=seq_len)
    base = rss_mb()
    peak, done = [base], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    vocab = run(spec, steps)
    done.set()
    sampler.join()
    return {"kind": kind, "layers": layers, "hidden": hidden, "embed": embed, "batch": batch, "seq_len": seq_len,
            "chars": chars, "vocab": vocab, "params": count_params(spec, vocab), "measured_mb": round(peak[0] - base, 1),
            "estimate_mb": round(estimate_memory_mb(spec, vocab, chars), 1)}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))

"""`python -m core.bench {threads,sampling,training,all}`: the performance numbers the course quotes.

threads   batch-1 sampling chars/s of a 2x256 LSTM with 1 vs 2 torch threads, under 1, 2 and 4 concurrent Python
          threads (learners) sampling at once: the evidence for core.models.inference.DEFAULT_THREADS.
sampling  1,000 characters at batch 1 from the shipped Shakespeare LSTM (median ms), and the ratio to a bare
          nn.LSTM step loop with the same weights, our physical reference.
training  training characters/s of the from-primitives LSTM vs nn.LSTM at the same size.
compare   Lab 02's table from the manifest: RNN vs LSTM vs GRU on Tiny Shakespeare at an equal CPU budget.
Timings are noisy on a shared 2-core machine: run it on a quiet one. `--record` writes the sampling and training
rows (with the date and hardware) into the checkpoint's manifest entry under "benchmarks".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time

import torch
import torch.nn.functional as F
from torch import nn

from core.data.corpora import Vocab
from core.models import charlm, inference, sampling
from core.models.charlm import CharLM, CharLMConfig, TorchCharLM, build
from core.training import checkpoints
from core.training.runs import hardware

SHAKESPEARE_LSTM = "shakespeare-lstm"


def _model(name: str | None) -> tuple[CharLM, Vocab, str]:
    """The shipped checkpoint if there is one, else a random 2x256 LSTM of the same shape."""
    if name:
        try:
            model, entry = checkpoints.load(name, "cpu")
            return inference.prepare(model, torch.device("cpu")), checkpoints.vocab_of(entry), name
        except checkpoints.CheckpointError as e:
            print(f"({e}; using a random 2x256 LSTM instead)")
    torch.manual_seed(0)
    vocab = Vocab([chr(i) for i in range(32, 97)])
    model = build(CharLMConfig(kind="lstm", vocab_size=len(vocab), hidden=256, layers=2))
    return inference.prepare(model, torch.device("cpu")), vocab, "random 2x256 LSTM"


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def torch_twin(model: CharLM) -> TorchCharLM:
    """nn.LSTM (etc.) with our model's weights, ready for read-only timing."""
    return inference.prepare(charlm.torch_twin(model), torch.device("cpu"))


def bare_lstm_loop(twin: TorchCharLM, n: int, seed: int = 0) -> list[int]:
    """The physical reference: embedding -> nn.LSTM one step at a time -> head -> multinomial, nothing else."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.zeros(1, 1, dtype=torch.long)
    state = None
    out = []
    for _ in range(n):
        h, state = twin.rnn(twin.embed(idx), state)
        probs = torch.softmax(twin.head(h[:, -1]), -1)
        idx = torch.multinomial(probs, 1, generator=g)
        out.append(idx)
    return out


def bench_sampling(name: str = SHAKESPEARE_LSTM, n: int = 1000, repeats: int = 7) -> dict:
    inference.configure_threads()
    model, vocab, label = _model(name)
    twin = torch_twin(model)
    ours = _median_ms(lambda: sampling.sample(model, vocab, n, 0.8, prime="\n", seed=1), repeats)
    with inference.inference():
        plain_step = _median_ms(lambda: _plain_step_loop(model, n), repeats)
        bare_on = _median_ms(lambda: bare_lstm_loop(twin, n), repeats)
        with torch.backends.mkldnn.flags(enabled=False):
            bare_off = _median_ms(lambda: bare_lstm_loop(twin, n), repeats)
    ref = min(bare_on, bare_off)
    return {"model": label, "chars": n, "torch_threads": torch.get_num_threads(),
            "sample_ms": round(ours, 1), "plain_step_loop_ms": round(plain_step, 1),
            "bare_nn_lstm_loop_ms_onednn_on": round(bare_on, 1),
            "bare_nn_lstm_loop_ms_onednn_off": round(bare_off, 1),
            "ratio_to_best_bare_nn_lstm": round(ours / ref, 3), "target_ms": 100}


def _plain_step_loop(model: CharLM, n: int) -> None:
    """model.step() without the folded weights, for comparison with sampling's FastStepper."""
    state = model.init_state(1)
    idx = torch.zeros(1, dtype=torch.long)
    for _ in range(n):
        logits, state = model.step(idx, state)
        idx = logits.argmax(-1)


def bench_threads(name: str = SHAKESPEARE_LSTM, n: int = 500) -> list[dict]:
    """Each of `learners` Python threads generates n characters at once, through sampling.sample (NumPy on CPU)
    and through a plain torch step loop (what every other torch forward pass costs), at 1 and 2 torch threads."""
    model, vocab, label = _model(name)
    paths = {
        "sampling.sample": lambda seed: sampling.sample(model, vocab, n, 0.8, seed=seed),
        "torch step loop": lambda seed: _plain_step_loop(model, n),
    }
    rows = []
    for torch_threads in (1, 2):
        torch.set_num_threads(torch_threads)
        for path, fn in paths.items():
            for learners in (1, 2, 4):
                done: list[float] = []

                def work(seed: int, fn=fn, done: list[float] = done) -> None:
                    t = time.perf_counter()
                    with inference.inference():
                        fn(seed)
                    done.append(time.perf_counter() - t)

                work(0)  # warm-up
                done.clear()
                threads = [threading.Thread(target=work, args=(i,)) for i in range(learners)]
                t0 = time.perf_counter()
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                wall = time.perf_counter() - t0
                rows.append({"path": path, "torch_threads": torch_threads, "learners": learners,
                             "total_chars_per_s": round(learners * n / wall),
                             "per_learner_chars_per_s": round(n / statistics.median(done)),
                             "slowest_learner_ms_per_1000": round(max(done) / n * 1e6)})
    inference.configure_threads()
    return rows


def bench_training(hidden: int = 256, layers: int = 2, batch: int = 32, seq_len: int = 128, steps: int = 4) -> list[dict]:
    inference.configure_threads()
    rows = []
    for backend in ("cells", "torch"):
        torch.manual_seed(0)
        model = build(CharLMConfig(kind="lstm", vocab_size=65, hidden=hidden, layers=layers, backend=backend))
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        x = torch.randint(65, (batch, seq_len + 1))

        def step(model: nn.Module = model, opt: torch.optim.Optimizer = opt, x: torch.Tensor = x) -> None:
            logits, _, _ = model(x[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, 65), x[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()

        ms = _median_ms(step, steps)
        rows.append({"backend": "from primitives" if backend == "cells" else "nn.LSTM",
                     "size": f"{layers}x{hidden}", "batch": batch, "seq_len": seq_len,
                     "torch_threads": torch.get_num_threads(), "ms_per_step": round(ms, 1),
                     "chars_per_s": round(batch * seq_len / ms * 1000)})
    return rows


def compare(names: tuple[str, ...] = ("shakespeare-rnn", "shakespeare-lstm", "shakespeare-gru")) -> list[dict]:
    """The equal-budget comparison as recorded in the manifest (no timing here: it reads the training runs)."""
    known = set(checkpoints.names())
    entries = {n: checkpoints.entry(n) for n in names if n in known}
    base = entries.get("shakespeare-rnn")
    rows = []
    for name, e in entries.items():
        m, t = e["metrics"], e["training"]
        row = {"model": name, "params": e["params"], "cpu_s": t["elapsed_s"], "steps": t["steps"],
               "chars_seen": t["chars_seen"], "val_nats_per_char": m["val_loss_nats_per_char"],
               "perplexity": m["perplexity"], "train_subset_nats": e.get("train_subset_loss_nats_per_char")}
        if base is not None:
            ppl0 = base["metrics"]["perplexity"]
            row["ppl_change_vs_rnn"] = f"{(m['perplexity'] - ppl0) / ppl0:+.1%}"
        rows.append(row)
    return rows


def record(name: str, results: dict) -> None:
    """Put this run's sampling and training rows into `name`'s manifest entry, with when and where they ran."""
    kept = {k: results[k] for k in ("sampling", "training") if results.get(k)}
    if not kept or name not in checkpoints.names():
        return
    new = dict(checkpoints.entry(name))
    benchmarks = dict(new.get("benchmarks", {}))
    for key, rows in kept.items():
        benchmarks[key] = {"rows": rows, "measured": time.strftime("%Y-%m-%d"), "load_avg_1min": _load(),
                           "how": f"python -m core.bench {key} --record",
                           "hardware": hardware(torch.get_num_threads(), torch.device("cpu"))}
    new["benchmarks"] = benchmarks
    checkpoints.register(name, new)


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _table(rows: list[dict]) -> str:
    cols = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(str(r[c]).ljust(w) for c, w in zip(cols, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["threads", "sampling", "training", "compare", "all"])
    parser.add_argument("--checkpoint", default=SHAKESPEARE_LSTM, help="model for threads/sampling")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--record", action="store_true", help="store sampling/training rows in the manifest")
    args = parser.parse_args(argv)
    results: dict = {}
    if args.what in ("threads", "all"):
        results["threads"] = bench_threads(args.checkpoint)
    if args.what in ("sampling", "all"):
        results["sampling"] = [bench_sampling(args.checkpoint)]
    if args.what in ("training", "all"):
        results["training"] = bench_training()
    if args.what in ("compare", "all"):
        results["compare"] = compare()
    if args.record:
        record(args.checkpoint, results)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for key, rows in results.items():
            print(f"\n== {key}\n{_table(rows) if rows else '(no data yet)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

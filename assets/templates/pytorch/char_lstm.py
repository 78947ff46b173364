"""Character-level LSTM language model in one file (RNN Course, PyTorch track).

Reads a plain-text file, holds out its last part for validation, trains an LSTM to predict the next character
with truncated backpropagation through time, reports validation loss in nats per character, bits per character
and perplexity, saves a checkpoint and samples text at a chosen temperature.

    python char_lstm.py --data input.txt                          # train with the defaults, then sample
    python char_lstm.py --data input.txt --steps 200 --hidden 64  # a quick run to check that it all works
    python char_lstm.py --sample-from char_lstm.pt --prime "ROMEO:" --temperature 0.7

Needs only PyTorch (pip install torch). Run with --help for every option.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------- data


class CharData:
    """The text as integer ids, the vocabulary, and a train/validation split (validation = the last part)."""

    def __init__(self, text: str, val_frac: float):
        self.chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        ids = torch.tensor([self.stoi[ch] for ch in text], dtype=torch.long)
        n_val = int(len(ids) * val_frac)
        self.train, self.val = ids[: len(ids) - n_val], ids[len(ids) - n_val :]

    @property
    def vocab_size(self) -> int:
        return len(self.chars)


def read_text(path: str, max_bytes: int = 200_000_000) -> str:
    """The file as text, or a clear exit when it is missing, empty, too large or not text."""
    p = Path(path)
    if not p.is_file():
        sys.exit(f"error: no such file: {path}")
    if p.stat().st_size > max_bytes:
        sys.exit(f"error: {path} is larger than {max_bytes // 1_000_000} MB; use a smaller file")
    raw = p.read_bytes()
    if b"\x00" in raw[:10_000]:
        sys.exit(f"error: {path} looks like a binary file, not text")
    text = raw.decode("utf-8", errors="replace")
    if len(set(text)) < 2:
        sys.exit(f"error: {path} needs at least two different characters to learn anything")
    return text


def stream_batches(ids: torch.Tensor, batch: int, seq_len: int):
    """Cut `ids` into `batch` parallel streams and walk along them `seq_len` characters at a time.

    Row b of one chunk continues row b of the previous chunk, which is what lets the hidden state be carried
    from one chunk to the next (truncated BPTT). Yields (x, y), both (B, T), with y = x shifted by one.
    """
    n = (len(ids) - 1) // batch  # characters per stream
    x_all = ids[: n * batch].view(batch, n)  # (B, n)
    y_all = ids[1 : n * batch + 1].view(batch, n)  # (B, n)
    for start in range(0, n - seq_len + 1, seq_len):
        yield x_all[:, start : start + seq_len], y_all[:, start : start + seq_len]


# ---------------------------------------------------------------------------------------------- model


class CharLSTM(nn.Module):
    """Embedding -> multi-layer LSTM -> linear read-out to one logit per character."""

    def __init__(self, vocab_size: int, embed: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        """x: (B, T) character ids; state: (h, c), each (layers, B, H), or None for zeros."""
        out, state = self.lstm(self.embed(x), state)  # out: (B, T, H)
        return self.head(self.drop(out)), state  # logits: (B, T, V)


def model_device(model: nn.Module) -> torch.device:
    """Where the model's weights live: inputs are moved there."""
    return next(model.parameters()).device


def detach(state):
    """Keep the values of the hidden state but cut the graph: gradients stop at the chunk boundary."""
    return tuple(s.detach() for s in state)


# ------------------------------------------------------------------------------------------- training


@torch.no_grad()
def evaluate(model: CharLSTM, ids: torch.Tensor, batch: int, seq_len: int, max_chars: int) -> float:
    """Mean cross-entropy in nats per character over (up to `max_chars` of) `ids`, state carried along."""
    model.eval()
    ids = ids[: max_chars + 1]
    batch = max(1, min(batch, (len(ids) - 1) // seq_len))
    total, count, state, device = 0.0, 0, None, model_device(model)
    for x, y in stream_batches(ids, batch, seq_len):
        x, y = x.to(device), y.to(device)
        logits, state = model(x, state)
        total += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    model.train()
    return total / max(count, 1)


def lr_at(step: int, args) -> float:
    """Linear warm-up over the first `warmup` steps, then cosine decay from `lr` down to `lr * min_lr_frac`."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    floor = args.lr * args.min_lr_frac
    return floor + 0.5 * (args.lr - floor) * (1 + math.cos(math.pi * min(progress, 1.0)))


def report(step: int, train_loss: float | None, val_loss: float, lr: float, elapsed: float) -> None:
    train = f"train {train_loss:.4f}" if train_loss is not None else "train   -   "
    print(f"step {step:6d} | {train} | val {val_loss:.4f} nats/char  {val_loss / math.log(2):.3f} bits/char  "
          f"perplexity {math.exp(val_loss):.2f} | lr {lr:.2e} | {elapsed:.1f}s", flush=True)


def train(model: CharLSTM, data: CharData, args) -> float:
    """Truncated-BPTT training; returns the best validation loss. Saves a checkpoint at each new best."""
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_at(s, args) / args.lr)
    t0 = time.time()
    best = evaluate(model, data.val, args.batch, args.seq_len, args.eval_chars)
    report(0, None, best, lr_at(0, args), 0.0)
    step, recent = 0, []
    while step < args.steps:
        state = None  # a new pass over the data starts from a zero state
        for x, y in stream_batches(data.train, args.batch, args.seq_len):
            x, y = x.to(args.device), y.to(args.device)
            logits, state = model(x, state)
            state = detach(state)
            loss = F.cross_entropy(logits.reshape(-1, data.vocab_size), y.reshape(-1))
            if not torch.isfinite(loss):
                sys.exit(f"error: the loss became {loss.item()} at step {step}; lower --lr or --clip")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)  # rescale if the total norm exceeds clip
            opt.step()
            sched.step()
            step += 1
            recent.append(loss.item())
            if step % args.eval_every == 0 or step == args.steps:
                val = evaluate(model, data.val, args.batch, args.seq_len, args.eval_chars)
                report(step, sum(recent) / len(recent), val, sched.get_last_lr()[0], time.time() - t0)
                recent = []
                if val < best:
                    best = val
                    save(model, data, args)
            if step >= args.steps:
                break
    return best


# ------------------------------------------------------------------------------------ save and sample


def save(model: CharLSTM, data: CharData, args) -> None:
    if args.checkpoint:
        config = {k: getattr(args, k) for k in ("embed", "hidden", "layers", "dropout")}
        torch.save({"model": model.state_dict(), "chars": data.chars, "config": config}, args.checkpoint)


def load(path: str) -> tuple[CharLSTM, list[str]]:
    if not Path(path).is_file():
        sys.exit(f"error: no such checkpoint: {path}")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = CharLSTM(len(ckpt["chars"]), **ckpt["config"])
    model.load_state_dict(ckpt["model"])
    return model, ckpt["chars"]


@torch.no_grad()
def sample(model: CharLSTM, chars: list[str], prime: str, length: int, temperature: float,
           generator: torch.Generator) -> str:
    """Feed `prime`, then draw `length` characters one at a time from softmax(logits / temperature)."""
    model.eval()
    stoi = {ch: i for i, ch in enumerate(chars)}
    prime = "".join(ch for ch in prime if ch in stoi) or chars[0]  # characters never seen cannot be fed
    device = model_device(model)
    x = torch.tensor([[stoi[ch] for ch in prime]], device=device)  # (1, len(prime))
    logits, state = model(x)
    out = []
    for _ in range(length):
        probs = F.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)  # (V,)
        nxt = torch.multinomial(probs, 1, generator=generator).item()
        out.append(chars[nxt])
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    return prime + "".join(out)


# ------------------------------------------------------------------------------------------------ main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", help="plain-text training file (required unless --sample-from)")
    p.add_argument("--val-frac", type=float, default=0.1, help="fraction of the text, at its end, held out")
    p.add_argument("--embed", type=int, default=64, help="character embedding size")
    p.add_argument("--hidden", type=int, default=256, help="LSTM hidden size per layer")
    p.add_argument("--layers", type=int, default=2, help="stacked LSTM layers")
    p.add_argument("--dropout", type=float, default=0.2, help="dropout between layers and before the read-out")
    p.add_argument("--batch", type=int, default=32, help="parallel streams per step")
    p.add_argument("--seq-len", type=int, default=100, help="characters per chunk: the BPTT truncation length")
    p.add_argument("--steps", type=int, default=3000, help="optimizer steps")
    p.add_argument("--lr", type=float, default=2e-3, help="peak Adam learning rate")
    p.add_argument("--warmup", type=int, default=100, help="linear warm-up steps")
    p.add_argument("--min-lr-frac", type=float, default=0.1, help="final learning rate as a fraction of --lr")
    p.add_argument("--clip", type=float, default=5.0, help="maximum global gradient norm")
    p.add_argument("--eval-every", type=int, default=200, help="steps between validation reports")
    p.add_argument("--eval-chars", type=int, default=100_000, help="validation characters per report")
    p.add_argument("--checkpoint", default="char_lstm.pt", help="where the best model is saved ('' = don't)")
    p.add_argument("--sample-from", help="skip training: load this checkpoint and sample")
    p.add_argument("--prime", default="\n", help="text the sample starts from")
    p.add_argument("--sample-len", type=int, default=500, help="characters to sample")
    p.add_argument("--temperature", type=float, default=0.8, help="below 1: safer; above 1: more adventurous")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0 = torch's default)")
    p.add_argument("--device", default="auto", help="auto (cuda if available, else cpu), cpu, cuda or mps")
    args = p.parse_args(argv)
    if not args.sample_from and not args.data:
        p.error("give --data FILE to train, or --sample-from CHECKPOINT to sample")
    if not 0 < args.temperature <= 100:
        p.error("--temperature must be above 0 (and at most 100)")
    if not 0 < args.val_frac < 1:
        p.error("--val-frac must be between 0 and 1")
    for name in ("embed", "hidden", "layers", "batch", "seq_len", "steps", "eval_every", "eval_chars"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if not (args.lr > 0 and args.clip > 0 and 0 <= args.dropout < 1 and args.warmup >= 1):
        p.error("need --lr > 0, --clip > 0, 0 <= --dropout < 1 and --warmup >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"

    if args.sample_from:
        model, chars = load(args.sample_from)
        model.to(args.device)
    else:
        data = CharData(read_text(args.data), args.val_frac)
        needed = args.batch * args.seq_len + 1
        if len(data.train) < needed or len(data.val) < args.seq_len + 1:
            sys.exit(f"error: the text is too short for --batch {args.batch} --seq-len {args.seq_len}: training "
                     f"needs at least {needed} characters ({len(data.train)} given) and validation "
                     f"{args.seq_len + 1} ({len(data.val)} given); use a longer file or smaller settings")
        print(f"{len(data.train):,} training and {len(data.val):,} validation characters, "
              f"vocabulary {data.vocab_size}; a uniform guess scores {math.log(data.vocab_size):.3f} nats/char")
        model = CharLSTM(data.vocab_size, args.embed, args.hidden, args.layers, args.dropout).to(args.device)
        print(f"{sum(p.numel() for p in model.parameters()):,} parameters on {args.device}")
        best = train(model, data, args)
        print(f"best validation loss {best:.4f} nats/char, perplexity {math.exp(best):.2f}")
        if args.checkpoint and Path(args.checkpoint).is_file():
            model, chars = load(args.checkpoint)  # sample from the best model, not the last one
            model.to(args.device)
            print(f"saved the best model to {args.checkpoint}")
        else:
            chars = data.chars

    print(f"--- sample (temperature {args.temperature}) ---")
    print(sample(model, chars, args.prime, args.sample_len, args.temperature, gen))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fine-tune a small pretrained causal language model (GPT-2 by default) on your own text (RNN Course, HF track).

The same loop as the char-level LSTM (forward, loss, backward, clip, update), but the model is borrowed: its
weights already know English, so a few hundred steps adapt its style to your text. Reports validation loss per
token and per character (comparable with the char LSTM's nats/char), saves the model and samples from it.

    pip install torch transformers
    python finetune_gpt2.py --data input.txt                     # downloads gpt2 (about 500 MB) the first time
    python finetune_gpt2.py --data input.txt --offline           # use only weights already in the local cache
    python finetune_gpt2.py --sample-from gpt2-finetuned --prime "ROMEO:"

Run with --help for every option.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from pathlib import Path

NEEDS = ("This script needs the Hugging Face `transformers` package, which is not installed in this Python "
         "environment. Install it with:  pip install transformers  (it also needs torch). The first run then "
         "downloads the model weights from the Hugging Face Hub (about 500 MB for gpt2) unless you pass "
         "--offline with weights already in your cache.")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", help="plain-text training file (required unless --sample-from)")
    p.add_argument("--model", default="gpt2", help="a causal LM on the Hub or a local folder, e.g. distilgpt2")
    p.add_argument("--offline", action="store_true", help="never download: use only locally cached weights")
    p.add_argument("--val-frac", type=float, default=0.1, help="fraction of the text, at its end, held out")
    p.add_argument("--block", type=int, default=128, help="tokens per training sequence")
    p.add_argument("--batch", type=int, default=8, help="sequences per step")
    p.add_argument("--steps", type=int, default=300, help="optimizer steps")
    p.add_argument("--lr", type=float, default=5e-5, help="peak AdamW learning rate (small: the model is trained)")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=30, help="linear warm-up steps, then linear decay to zero")
    p.add_argument("--clip", type=float, default=1.0, help="maximum global gradient norm")
    p.add_argument("--eval-every", type=int, default=50, help="steps between validation reports")
    p.add_argument("--out", default="gpt2-finetuned", help="folder for the fine-tuned model ('' = don't save)")
    p.add_argument("--sample-from", help="skip training: load this model (folder or Hub name) and sample")
    p.add_argument("--prime", default="\n", help="text the sample starts from")
    p.add_argument("--sample-tokens", type=int, default=200, help="tokens to sample")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=50, help="sample only among the k likeliest tokens (0 = all)")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    args = p.parse_args(argv)
    if not args.sample_from and not args.data:
        p.error("give --data FILE to fine-tune, or --sample-from MODEL to sample")
    if not 0 < args.temperature <= 100:
        p.error("--temperature must be above 0 (and at most 100)")
    if not 0 < args.val_frac < 1:
        p.error("--val-frac must be between 0 and 1")
    for name in ("block", "batch", "steps", "eval_every", "warmup", "sample_tokens"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def read_text(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        sys.exit(f"error: no such file: {path}")
    raw = p.read_bytes()
    if b"\x00" in raw[:10_000]:
        sys.exit(f"error: {path} looks like a binary file, not text")
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        sys.exit(f"error: {path} is empty")
    return text


def load_model(name: str, offline: bool, device):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=offline)
        model = AutoModelForCausalLM.from_pretrained(name, local_files_only=offline)
    except OSError as e:  # not on the Hub, not in the cache, or no network
        where = "in the local cache (you passed --offline)" if offline else "locally or on the Hugging Face Hub"
        sys.exit(f"error: could not load the model {name!r} {where}: {e}")
    return tokenizer, model.to(device)


def evaluate(model, ids, block: int) -> float:
    """Mean cross-entropy in nats per token over `ids`, in non-overlapping windows of `block` tokens:
    each token is predicted once."""
    import torch

    model.eval()
    total, count = 0.0, 0
    windows = [ids[s : s + block + 1] for s in range(0, len(ids) - 1, block)]
    windows = [w for w in windows if len(w) > 1]
    with torch.no_grad():
        for w in windows:  # one at a time: the last window may be shorter
            x = w.unsqueeze(0).to(model.device)  # (1, T+1)
            logits = model(input_ids=x[:, :-1]).logits  # (1, T, V)
            total += torch.nn.functional.cross_entropy(logits[0], x[0, 1:], reduction="sum").item()
            count += x.size(1) - 1
    model.train()
    return total / max(count, 1)


def finetune(model, train_ids, val_ids, val_chars: int, args) -> None:
    import torch

    decay = [p for p in model.parameters() if p.dim() >= 2]  # no weight decay on biases and norm scales
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / args.warmup if s < args.warmup
        else max(0.0, (args.steps - s) / max(1, args.steps - args.warmup)))
    gen = torch.Generator().manual_seed(args.seed)
    val_tokens = len(val_ids) - 1

    def show(step: int, train_loss: float | None) -> None:
        val = evaluate(model, val_ids, args.block)  # nats per token
        per_char = val * val_tokens / val_chars  # the same total surprise spread over characters
        train = f"train {train_loss:.4f}" if train_loss is not None else "train   -   "
        print(f"step {step:5d} | {train} | val {val:.4f} nats/token  perplexity {math.exp(val):.2f} "
              f"| {per_char:.4f} nats/char | {time.time() - t0:.1f}s", flush=True)

    t0 = time.time()
    model.train()
    show(0, None)
    recent = []
    for step in range(1, args.steps + 1):
        starts = torch.randint(len(train_ids) - args.block, (args.batch,), generator=gen)
        x = torch.stack([train_ids[s : s + args.block] for s in starts.tolist()]).to(model.device)  # (B, T)
        loss = model(input_ids=x, labels=x).loss  # the model shifts the labels by one token itself
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        sched.step()
        recent.append(loss.item())
        if step % args.eval_every == 0 or step == args.steps:
            show(step, sum(recent) / len(recent))
            recent = []


def main(argv=None) -> int:
    args = parse_args(argv)
    if importlib.util.find_spec("transformers") is None or importlib.util.find_spec("torch") is None:
        print(NEEDS, file=sys.stderr)
        return 1

    import torch

    torch.manual_seed(args.seed)
    if args.device == "auto":
        device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    else:
        device = args.device

    if args.sample_from:
        tokenizer, model = load_model(args.sample_from, args.offline, device)
    else:
        text = read_text(args.data)
        tokenizer, model = load_model(args.model, args.offline, device)
        tokenizer.model_max_length = 10**12  # we cut the token stream into blocks ourselves: silence the warning
        n_val = int(len(text) * args.val_frac)
        train_text, val_text = text[: len(text) - n_val], text[len(text) - n_val :]
        train_ids = torch.tensor(tokenizer(train_text).input_ids, dtype=torch.long)
        val_ids = torch.tensor(tokenizer(val_text).input_ids, dtype=torch.long)
        if len(train_ids) <= args.block or len(val_ids) < 2:
            sys.exit(f"error: the text is too short: {len(train_ids)} training tokens for --block {args.block} "
                     f"and {len(val_ids)} validation tokens; use a longer file or a smaller --block")
        print(f"{len(train_ids):,} training and {len(val_ids):,} validation tokens "
              f"({len(train_text) / len(train_ids):.2f} characters per token), model {args.model} on {device}")
        finetune(model, train_ids, val_ids, len(val_text), args)
        if args.out:
            model.save_pretrained(args.out)
            tokenizer.save_pretrained(args.out)
            print(f"saved the fine-tuned model to {args.out}/")

    model.eval()
    prompt = tokenizer(args.prime or tokenizer.eos_token, return_tensors="pt").input_ids.to(model.device)
    with torch.no_grad():
        out = model.generate(prompt, max_new_tokens=args.sample_tokens, do_sample=True,
                             temperature=args.temperature, top_k=args.top_k,
                             pad_token_id=tokenizer.eos_token_id)
    print(f"--- sample (temperature {args.temperature}, top-k {args.top_k or 'off'}) ---")
    print(tokenizer.decode(out[0], skip_special_tokens=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

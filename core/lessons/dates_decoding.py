"""How the dates decoder is trained and how it is used: the same decoder run teacher-forced (fed the true previous
characters) and free-running (fed its own previous outputs), and beam search over its output strings.

`python -m core.lessons.dates_decoding --find` searches fresh held-out inputs for one real exposure-bias error and
measures exact match per beam width on a fixed fresh evaluation set; both go to assets/m06_exposure_bias.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from core.data import tasks
from core.data.corpora import REPO_ROOT
from core.models.seq2seq import Seq2Seq

OUT = REPO_ROOT / "assets" / "m06_exposure_bias.json"
COMMAND = "python -m core.lessons.dates_decoding --find"
WIDTHS = (1, 2, 3, 5, 8)
BEAM_MODELS = ("dates-plain", "dates-bahdanau", "dates-attention")
SEARCH_MODELS = ("dates-plain", "dates-attention-small")  # where mistakes are common enough to find one
EVAL_SEED = 2026  # a fresh evaluation set: neither the manifest's seed (1) nor a training stream
EVAL_PER_KIND = 100  # short dates, memos and natural text: 300 inputs
SEARCH_SEED, SEARCH_N = 4242, 1500  # inputs searched for the exposure-bias example, per kind
SHOWN_MAX_CHARS = 60  # the example shown must be short enough to read beside a phone-width table
EOS = tasks.TGT_VOCAB.tokens[tasks.TGT_VOCAB.eos]


# ---------------------------------------------------------------- teacher forcing vs free running
@dataclass(frozen=True)
class Step:
    fed: str  # the previous character the decoder was given ("<sos>" at the first step)
    char: str  # the character it finds most likely at this step
    prob: float  # that character's probability


@dataclass(frozen=True)
class Comparison:
    text: str
    target: str  # the correct answer
    forced: list[Step]  # fed the target's characters: one step per target character and <eos>
    forced_true_prob: list[float]  # probability of the correct character at each teacher-forced step
    free: list[Step]  # fed its own choices until <eos> (or the length limit)
    free_output: str

    @property
    def forced_wrong(self) -> list[int]:
        """Steps where the teacher-forced decoder's most likely character is not the correct one."""
        want = _chars(self.target) + [EOS]
        return [t for t, (s, c) in enumerate(zip(self.forced, want, strict=True)) if s.char != c]

    @property
    def compounded(self) -> list[int]:
        """Steps after free running's first mistake where it is wrong although teacher forcing is right there:
        errors caused by reading its own mistake (positions compared one to one)."""
        first, want = self.first_free_error, _chars(self.target) + [EOS]
        if first is None:
            return []
        wrong = set(self.forced_wrong)
        return [t for t in range(first + 1, len(want))
                if t not in wrong and (t >= len(self.free) or self.free[t].char != want[t])]

    @property
    def first_free_error(self) -> int | None:
        """Output position of free running's first wrong character (None when its answer is right)."""
        want = _chars(self.target) + [EOS]
        got = [s.char for s in self.free]
        for i, (a, b) in enumerate(zip(want, got, strict=False)):
            if a != b:
                return i
        return None if len(want) == len(got) else min(len(want), len(got))

    @property
    def free_wrong_chars(self) -> int:
        """How many output positions free running got wrong (a missing or extra character counts once)."""
        want, got = _chars(self.target) + [EOS], [s.char for s in self.free]
        return sum(a != b for a, b in zip(want, got, strict=False)) + abs(len(want) - len(got))


def _chars(s: str) -> list[str]:
    return list(s)


def _encode(model: Seq2Seq, text: str):
    ids = tasks.SRC_VOCAB.encode(text[: tasks.MAX_SOURCE_LEN]) or [tasks.SRC_VOCAB.unk]
    device = next(model.parameters()).device
    src, src_len = torch.tensor([ids], device=device), torch.tensor([len(ids)], device=device)
    annotations, summary, mask, keys, s = model._start(src, src_len)
    return (annotations, summary, mask, keys), s, torch.zeros(src.shape, device=device)


def compare(model: Seq2Seq, text: str, target: str) -> Comparison:
    """Run the decoder on `text` twice: fed `target`'s characters (how it was trained) and fed its own argmax
    choices (how it is used). `target` must be written in the output alphabet (digits, '-' and spaces)."""
    vocab = tasks.TGT_VOCAB
    true_ids = vocab.encode(target) + [vocab.eos]
    device = next(model.parameters()).device
    with torch.inference_mode():
        enc, s0, cov0 = _encode(model, text)
        runs = {}
        for mode in ("forced", "free"):
            s, cov, y_prev = s0, cov0, torch.tensor([vocab.sos], device=device)
            steps, true_probs = [], []
            for t in range(true_ids.__len__() if mode == "forced" else model.cfg.max_out):
                logits, s, _, cov = model._step(y_prev, s, enc, cov)
                p = torch.softmax(logits[0].float(), -1)  # (V,)
                y = int(p.argmax())
                steps.append(Step(vocab.tokens[int(y_prev)], vocab.tokens[y], float(p[y])))
                if mode == "forced":
                    true_probs.append(float(p[true_ids[t]]))
                    y_prev = torch.tensor([true_ids[t]], device=device)
                else:
                    if y == vocab.eos:
                        break
                    y_prev = torch.tensor([y], device=device)
            runs[mode] = (steps, true_probs)
    free = runs["free"][0]
    output = vocab.decode([vocab.index[s.char] for s in free])
    return Comparison(text, target, runs["forced"][0], runs["forced"][1], free, output)


def forced_mistakes(model: Seq2Seq, pairs: list[tasks.DatePair]) -> list[int]:
    """For each pair: at how many steps the teacher-forced decoder's argmax differs from the correct character.
    (Batched; the model's own teacher-forcing forward pass.)"""
    out = []
    with torch.inference_mode():
        for k in range(0, len(pairs), 100):
            chunk = pairs[k : k + 100]
            src, src_len, tgt = (t.to(next(model.parameters()).device) for t in tasks.encode_pairs(chunk))
            logits, _ = model(src, src_len, tgt)
            real = tgt != tasks.TGT_VOCAB.pad  # (B, T)
            wrong = ((logits.argmax(-1) != tgt) & real).sum(dim=1)  # (B,)
            out.extend(int(v) for v in wrong)
    return out


# ---------------------------------------------------------------- beam search
@dataclass(frozen=True)
class Beam:
    output: str  # decoded text (special tokens dropped)
    ids: tuple[int, ...]  # output token ids, <eos> included when finished
    logprob: float  # log p(ids | text) under the model, in nats
    finished: bool  # ended with <eos> (False: cut at the length limit)


def _pick(enc: tuple, index: Tensor) -> tuple:
    return tuple(None if part is None else part[index] for part in enc)


def beam_search(model: Seq2Seq, text: str, width: int, max_len: int | None = None) -> list[Beam]:
    """Keep the `width` most likely partial outputs after every step (total log-probability, no length
    normalisation); one that ends with <eos> is set aside as finished. Stops when `width` outputs are finished, or
    when the best finished one beats every partial one (log-probabilities only fall as an output grows), or at
    `max_len` tokens. Returns finished outputs best first, then any cut at the limit. Width 1 is greedy decoding."""
    vocab, max_len = tasks.TGT_VOCAB, max_len or model.cfg.max_out
    device = next(model.parameters()).device
    with torch.inference_mode():
        enc, s, cov = _encode(model, text)
        seqs: list[tuple[int, ...]] = [()]
        scores = torch.zeros(1, device=device)  # (K,) log p of each kept partial output
        y_prev = torch.tensor([vocab.sos], device=device)
        finished: list[Beam] = []
        for _ in range(max_len):
            rows = torch.zeros(len(seqs), dtype=torch.long, device=device)
            logits, s, _, cov = model._step(y_prev, s, _pick(enc, rows), cov)
            total = scores[:, None] + torch.log_softmax(logits.float(), -1)  # (K, V)
            V = total.shape[1]
            best, flat = total.reshape(-1).topk(min(width - len(finished), total.numel()))
            alive = []
            for score, f in zip(best.tolist(), flat.tolist(), strict=True):
                parent, token = divmod(f, V)
                ids = seqs[parent] + (token,)
                if token == vocab.eos:
                    finished.append(Beam(vocab.decode(ids), ids, score, True))
                else:
                    alive.append((parent, token, ids, score))
            if not alive or len(finished) >= width:
                break
            if finished and max(b.logprob for b in finished) >= alive[0][3]:
                break
            parents = torch.tensor([a[0] for a in alive], device=device)
            seqs = [a[2] for a in alive]
            scores = torch.tensor([a[3] for a in alive], device=device)
            s, cov = s[parents], cov[parents]
            y_prev = torch.tensor([a[1] for a in alive], device=device)
        else:
            finished += [Beam(vocab.decode(q), q, float(v), False) for q, v in zip(seqs, scores.tolist(), strict=True)]
    return sorted(finished, key=lambda b: (not b.finished, -b.logprob))


def sequence_logprob(model: Seq2Seq, text: str, ids: list[int]) -> float:
    """log p(ids | text), scored by the model's teacher-forcing forward pass (an independent path from the
    step-by-step search)."""
    src_ids = tasks.SRC_VOCAB.encode(text[: tasks.MAX_SOURCE_LEN]) or [tasks.SRC_VOCAB.unk]
    device = next(model.parameters()).device
    with torch.inference_mode():
        tgt = torch.tensor([ids], device=device)
        logits, _ = model(torch.tensor([src_ids], device=device), torch.tensor([len(src_ids)], device=device), tgt)
        logp = torch.log_softmax(logits[0].float(), -1).gather(1, tgt[0][:, None])
    return float(logp.sum())


def eval_set(n_per_kind: int = EVAL_PER_KIND, seed: int = EVAL_SEED) -> list[tasks.DatePair]:
    """Fresh held-out inputs from the manifest's generator: single dates, memos and natural text, n of each."""
    return [p for kind in ("short", "long", "natural") for p in tasks.date_dataset(n_per_kind, seed, "test", kind)]


def beam_accuracy(model: Seq2Seq, pairs: list[tasks.DatePair], widths: tuple[int, ...] = WIDTHS) -> dict[int, float]:
    """{width: share of `pairs` whose best beam is exactly the correct answer}."""
    return {w: round(sum(beam_search(model, p.source, w)[0].output == p.target for p in pairs) / len(pairs), 4)
            for w in widths}


# ---------------------------------------------------------------- the search for an exposure-bias error
def find_exposure_bias(model: Seq2Seq, pairs: list[tasks.DatePair]) -> list[Comparison]:
    """Inputs where free running's first mistake is the only one teacher forcing makes (the two runs have read
    the same characters up to there, so they share it), and free running then goes wrong again where teacher
    forcing is right: best first (earliest first mistake, then most compounded errors)."""
    from core.training.seq2seq import decode

    preds, _ = decode(model, pairs)
    wrong = [p for p, q in zip(pairs, preds, strict=True) if q != p.target]
    found = []
    for pair, n_wrong in zip(wrong, forced_mistakes(model, wrong), strict=True):
        if n_wrong != 1:
            continue
        c = compare(model, pair.source, pair.target)
        if c.forced_wrong == [c.first_free_error] and c.compounded:
            found.append(c)
    return sorted(found, key=lambda c: (c.first_free_error, -len(c.compounded), len(c.text)))


def load_asset() -> dict | None:
    try:
        return json.loads(OUT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    from core.training.seq2seq import load

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--find", action="store_true", help="search and measure, then write the asset")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    if not args.find:
        parser.print_help()
        return 0
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    search = [p for kind in ("short", "natural", "long")
              for p in tasks.date_dataset(SEARCH_N, SEARCH_SEED, "test", kind)]
    found_all = []
    for name in SEARCH_MODELS:
        model, _ = load(name)
        found = find_exposure_bias(model, search)
        print(f"[{name}] {len(found)} exposure-bias cases in {len(search)} inputs", flush=True)
        found_all += [{"model": name, **summarize(c)} for c in found]
    unique = {(e["model"], e["text"]): e for e in reversed(found_all)}  # the generator repeats a few inputs
    examples = sorted(unique.values(), key=lambda e: (len(e["text"]) > SHOWN_MAX_CHARS, e["first_error_step"],
                                 -len(e["compounded_steps"]), len(e["text"])))
    pairs = eval_set()
    table = {}
    for name in BEAM_MODELS:
        model, _ = load(name)
        table[name] = beam_accuracy(model, pairs)
        print(f"[{name}] exact match by width {table[name]}", flush=True)
    result = {
        "command": COMMAND,
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "exposure_bias": examples[0] if examples else None,
        "other_cases": [{k: e[k] for k in ("model", "text", "target", "free_output")} for e in examples[1:6]],
        "search": {"models": list(SEARCH_MODELS), "seed": SEARCH_SEED, "found": len(found_all),
                   "inputs": f"{SEARCH_N} single dates, {SEARCH_N} natural-text pieces and {SEARCH_N} memos with "
                             "held-out dates"},
        "beam": {"widths": list(WIDTHS), "n": len(pairs), "seed": EVAL_SEED,
                 "eval_set": f"{EVAL_PER_KIND} single dates, {EVAL_PER_KIND} memos and {EVAL_PER_KIND} natural-text "
                             f"pieces with held-out dates (core.data.tasks.date_dataset, seed {EVAL_SEED})",
                 "exact_match": {n: {str(w): v for w, v in row.items()} for n, row in table.items()}},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out} in {result['seconds']} s")
    return 0


def summarize(c: Comparison) -> dict:
    """A comparison as plain data (what the asset stores and the page shows)."""
    return {"text": c.text, "target": c.target, "free_output": c.free_output,
            "first_error_step": c.first_free_error, "wrong_chars": c.free_wrong_chars,
            "compounded_steps": c.compounded,
            "forced": [asdict(s) for s in c.forced], "free": [asdict(s) for s in c.free]}


if __name__ == "__main__":
    raise SystemExit(main())

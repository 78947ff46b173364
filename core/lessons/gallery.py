"""Module 5's demo gallery and spot-the-error puzzles: primes and cut-offs for Shakespeare, LaTeX and C, generated
baby names and their novelty, and automatic detectors of structural errors in generated text.

`python -m core.lessons.gallery` re-picks the spot-the-error puzzles (assets/spot_the_error.json) from the shipped models.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

from core import metrics
from core.data.corpora import REPO_ROOT, shuffle_lines, split_text

PUZZLES_PATH = REPO_ROOT / "assets" / "spot_the_error.json"
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z '\-]{0,29}$")
MAX_STATEMENT = 400
MAX_SIGNATURE = 200

# --------------------------------------------------------------------------------------------- primes and cuts


def speaker_prime(name: str) -> str:
    """'juliet' -> 'JULIET:\\n', the way Tiny Shakespeare opens a speech. ValueError for anything but a name."""
    name = " ".join(name.split())
    if not NAME_RE.match(name):
        raise ValueError("Enter a character name: letters, spaces, ' or -, at most 30 characters.")
    return f"{name.upper()}:\n"


def cut_speech(text: str) -> str:
    """The speech up to the first blank line (where the next speaker would begin)."""
    return text.split("\n\n", 1)[0].rstrip()


def proof_prime(statement: str) -> str:
    statement = statement.strip()
    if not statement:
        raise ValueError("Type a theorem statement first.")
    if len(statement) > MAX_STATEMENT:
        raise ValueError(f"Keep the statement under {MAX_STATEMENT} characters.")
    return f"\\begin{{theorem}}\n{statement}\n\\end{{theorem}}\n\n\\begin{{proof}}\n"


def cut_proof(text: str) -> str:
    """The proof up to and including the first \\end{proof}, or all of it when the model never closed it."""
    end = text.find("\\end{proof}")
    return text if end < 0 else text[: end + len("\\end{proof}")]


def function_prime(signature: str) -> str:
    signature = " ".join(signature.split())
    if not signature:
        raise ValueError("Type a function signature first, e.g. static int count_pages(struct page *page)")
    if len(signature) > MAX_SIGNATURE:
        raise ValueError(f"Keep the signature under {MAX_SIGNATURE} characters.")
    if "{" in signature or "}" in signature:
        raise ValueError("Type only the signature; the body's braces come from the model.")
    return f"{signature}\n{{\n"


def cut_function(body: str) -> str:
    """The body after the prime's '{' up to the brace that closes the function (code only, strings and comments
    skipped), or all of it when it never closes."""
    depth = 1
    for i, ch in _code_chars(body):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return body[: i + 1]
    return body


def function_closed(sample: str, body: str) -> bool:
    """Whether the model closed the function itself: `body` is `cut_function(sample)`, cut short or ending in '}'."""
    return len(body) < len(sample) or body.endswith("}")


# --------------------------------------------------------------------------------------------------- names


def names_from_sample(text: str) -> list[str]:
    """Generated names, one per line (lower case as in names.txt); a last, possibly cut-off line is dropped."""
    lines = text.split("\n")
    return [ln.strip() for ln in lines[:-1] if ln.strip()]


def training_names(names_text: str, shuffle_seed: int | None) -> tuple[set[str], set[str]]:
    """(names in the training split the model saw, all names in the file). The split follows core.data.corpora: lines
    shuffled with the recipe's seed, first 90% of characters; the name cut in two at the border is left out."""
    text = names_text if shuffle_seed is None else shuffle_lines(names_text, shuffle_seed)
    train, _ = split_text(text)
    seen = {n.strip().lower() for n in train.split("\n")[:-1] if n.strip()}
    return seen, {n.strip().lower() for n in names_text.split("\n") if n.strip()}


@dataclass(frozen=True)
class Novelty:
    generated: int
    distinct: int
    not_in_training: int  # distinct generated names absent from the training split
    not_in_file: int  # ... absent from the whole file (training + validation)

    @property
    def share_new(self) -> float:
        return self.not_in_training / self.distinct if self.distinct else 0.0

    @property
    def share_new_anywhere(self) -> float:
        return self.not_in_file / self.distinct if self.distinct else 0.0


def novelty(generated: list[str], seen: set[str], everything: set[str]) -> Novelty:
    distinct = {g.lower() for g in generated}
    return Novelty(len(generated), len(distinct), len(distinct - seen), len(distinct - everything))


def new_plausible_share(generated: list[str], everything: set[str]) -> float:
    """Share of all samples (repeats count) that are in no list and still look like a name (core.metrics)."""
    _, new_plausible = metrics.new_plausible_names(generated, everything)
    return len(new_plausible) / max(len(generated), 1)


@dataclass(frozen=True)
class Vote:
    name: str
    vote: str | None  # "real" or "invented", as the learner said
    truth: str  # "real": in names.txt; "invented": not
    held_out_only: bool  # real, but only in the validation 10% the model never trained on

    @property
    def right(self) -> bool:
        return self.vote == self.truth


def judge_votes(names: list[str], votes: list[str | None], seen: set[str], everything: set[str]) -> list[Vote]:
    """Check real-or-invented votes against the file (`everything`) and the training split (`seen`)."""
    out = []
    for name, vote in zip(names, votes, strict=True):
        real = name.lower() in everything
        out.append(Vote(name, vote, "real" if real else "invented", real and name.lower() not in seen))
    return out


# ------------------------------------------------------------------------------------------- error detectors


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based line number in the text where the error shows
    message: str
    related: int | None = None  # the line of the opener it wrongly closes, which also counts as a right answer

    @property
    def lines(self) -> set[int]:
        return {self.line} if self.related is None else {self.line, self.related}


def _code_chars(text: str):
    """(index, char) of C code outside comments, string and character literals. Text before a '*/' that has no
    '/*' is taken as the tail of a comment the sample started inside."""
    i, n = 0, len(text)
    first_close, first_open = text.find("*/"), text.find("/*")
    if first_close >= 0 and (first_open < 0 or first_close < first_open):
        i = first_close + 2
    while i < n:
        ch = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch in "\"'":
            j = i + 1
            while j < n and text[j] not in (ch, "\n"):
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        yield i, ch
        i += 1


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


PAIRS = {")": "(", "]": "[", "}": "{"}


def c_errors(text: str) -> list[Finding]:
    """Brackets that close the wrong opener, or close nothing. Openers left open at the end are not errors: the
    sample was simply cut off."""
    stack: list[tuple[str, int]] = []
    found = []
    for i, ch in _code_chars(text):
        if ch in "([{":
            stack.append((ch, _line_of(text, i)))
        elif ch in PAIRS:
            line = _line_of(text, i)
            if not stack:
                found.append(Finding(line, f"'{ch}' closes a bracket that was never opened"))
            elif stack[-1][0] != PAIRS[ch]:
                opener, at = stack.pop()
                found.append(Finding(line, f"'{ch}' closes the '{opener}' opened on line {at}", at))
            else:
                stack.pop()
    return found


BEGIN_END = re.compile(r"\\(begin|end)\{([^}\n]*)\}")


def latex_errors(text: str) -> list[Finding]:
    """\\end{X} that closes a different environment or none, and '}' with no '{' (escaped \\{ \\} skipped)."""
    found = []
    stack: list[tuple[str, int]] = []
    for m in BEGIN_END.finditer(text):
        line = _line_of(text, m.start())
        if m.group(1) == "begin":
            stack.append((m.group(2), line))
        elif not stack:
            found.append(Finding(line, f"\\end{{{m.group(2)}}} closes an environment that was never opened"))
        elif stack[-1][0] != m.group(2):
            env, at = stack.pop()
            found.append(Finding(line, f"\\end{{{m.group(2)}}} closes \\begin{{{env}}} from line {at}", at))
        else:
            stack.pop()
    depth = 0
    for i, ch in enumerate(text):
        if ch not in "{}" or (i > 0 and text[i - 1] == "\\"):
            continue
        if ch == "{":
            depth += 1
        elif depth == 0:
            found.append(Finding(_line_of(text, i), "'}' closes a brace that was never opened"))
        else:
            depth -= 1
    return sorted(found, key=lambda f: f.line)


SPEAKER = re.compile(r"^[A-Z][A-Za-z' ,&\-]*[A-Za-z]:$")


def play_errors(text: str) -> list[Finding]:
    """A speech that starts after a blank line with no 'NAME:' line: in Tiny Shakespeare every one of the 7,221
    blocks after a blank line opens with a speaker line. A speaker with no speech is not counted, because the
    training text itself has 125 of them. The first and last lines are not judged (the sample is cut there)."""
    lines = text.split("\n")
    found = []
    for k in range(2, len(lines) - 1):
        line, prev = lines[k], lines[k - 1]
        if line.strip() and not prev.strip() and not SPEAKER.match(line):
            found.append(Finding(k + 1, "a speaker line that is not a well-formed NAME:" if line.endswith(":")
                                 else "a speech starts here with no speaker's name above it"))
    return found


DETECTORS = {"c": c_errors, "latex": latex_errors, "play": play_errors}
PUZZLE_MODELS = {"play": "shakespeare-lstm-best", "latex": "latex-lstm", "c": "linux-lstm"}
# The Shakespeare model rarely breaks the play format at 0.8, so its puzzles are drawn hotter.
PUZZLE_TEMPERATURE = {"play": 1.2, "latex": 0.8, "c": 0.6}


def errors(kind: str, text: str) -> list[Finding]:
    if kind not in DETECTORS:
        raise ValueError(f"Unknown kind {kind!r}; known: {sorted(DETECTORS)}.")
    return DETECTORS[kind](text)


def check_answer(kind: str, text: str, line: int) -> tuple[bool, list[Finding]]:
    """Is `line` (1-based) one of the faulty lines the detector finds? Also returns all findings."""
    found = errors(kind, text)
    return any(line in f.lines for f in found), found


# ---------------------------------------------------------------------------------------------- puzzle making


def good_puzzle(kind: str, text: str, min_lines: int = 8, max_lines: int = 30) -> bool:
    """A sample makes a fair puzzle when it has 1-2 faulty lines among 8-30 lines."""
    n_lines = text.count("\n") + 1
    faulty = {f.line for f in errors(kind, text)}
    return min_lines <= n_lines <= max_lines and 1 <= len(faulty) <= 2


def trim(text: str) -> str:
    """Whole lines only: drop the cut-off last line and trailing blank lines."""
    return text.rsplit("\n", 1)[0].rstrip("\n") if "\n" in text else text


def make_puzzles(per_kind: int = 4, max_seeds: int = 300, length: int = 600) -> dict:
    from core.models import inference, sampling
    from core.training import checkpoints

    inference.configure_threads()
    puzzles = []
    for kind, name in PUZZLE_MODELS.items():
        model, entry = checkpoints.load(name)
        vocab = checkpoints.vocab_of(entry)
        temperature, got = PUZZLE_TEMPERATURE[kind], 0
        for seed in range(max_seeds):
            text = trim(sampling.sample(model, vocab, length, temperature, prime="\n", seed=seed))
            if good_puzzle(kind, text):
                puzzles.append({"id": f"{kind}-{seed}", "kind": kind, "model": name, "sha256": entry["sha256"],
                                "seed": seed,
                                "temperature": temperature, "length": length, "prime": "\n", "text": text})
                got += 1
                if got == per_kind:
                    break
    return {"produced_by": "python -m core.lessons.gallery", "rule": "first seeds whose sample has 1-2 faulty lines "
            "among 8-30 lines, whole lines only", "temperatures": PUZZLE_TEMPERATURE, "puzzles": puzzles}


def load_puzzles(path: Path | str = PUZZLES_PATH) -> list[dict]:
    path = Path(path)
    return json.loads(path.read_text(encoding="utf-8"))["puzzles"] if path.exists() else []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Pick spot-the-error puzzles from the shipped models' samples.")
    parser.add_argument("--out", default=str(PUZZLES_PATH))
    parser.add_argument("--per-kind", type=int, default=4)
    args = parser.parse_args(argv)
    result = make_puzzles(args.per_kind)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{args.out}: {[p['id'] for p in result['puzzles']]}")


if __name__ == "__main__":
    main()

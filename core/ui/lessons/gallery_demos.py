"""Module 5 widgets: the live sample gallery (Shakespeare, LaTeX, C, baby names with a real-or-invented vote and
the measured novelty of generated names) and the spot-the-error challenge on real samples, checked by
core.lessons.gallery. Lesson text: assets/lessons/m05.md."""

from __future__ import annotations

import json
import time

import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.course import content, lessons
from core.data.corpora import REPO_ROOT, CorpusError, corpus_path
from core.lessons import gallery
from core.models import sampling
from core.training import checkpoints
from core.ui import guard, lesson, models
from core.ui.shell import PageContext, show_store_error

MODELS = {"play": "shakespeare-lstm-best", "latex": "latex-lstm", "c": "linux-lstm", "names": "names-lstm"}
LENGTH = 500
NOVELTY_NAMES = 1000
NAMES_QUIZ, SPOT_QUIZ = "m05-names", "m05-spot"
KIND_LABEL = {"play": "Shakespeare", "latex": "LaTeX", "c": "C (Linux)"}


def _entries() -> dict[str, dict]:
    """Manifest entries of the shipped char models (core.training.checkpoints re-reads the manifest only when it changes)."""
    try:
        entries = checkpoints.read_manifest()["checkpoints"]
        return {n: entries[n] for n in checkpoints.names()}
    except checkpoints.CheckpointError:
        return {}


def _available(name: str) -> bool:
    return name in _entries()


def _missing(name: str) -> None:
    guard.not_installed(f"The checkpoint {name}", f"python -m core.train --recipe {name}")


@st.cache_data(show_spinner="Generating...", max_entries=256)
def generate(name: str, prime: str, tau: float, seed: int, length: int = LENGTH) -> tuple[str, float, list[str]]:
    """(text after the prime, seconds it took on this server, prime characters the model does not know)."""
    model, entry = models.get_model(name)
    vocab = checkpoints.vocab_of(entry)
    start = time.perf_counter()
    text = sampling.sample(model, vocab, length, tau, prime=prime, seed=seed)
    return text, time.perf_counter() - start, vocab.unknown(prime)


def _controls(kind: str) -> tuple[float, int]:
    cols = st.columns([3, 1])
    tau = cols[0].slider("temperature τ", 0.1, 1.5, 0.7, 0.1, key=f"m05-gal-{kind}-tau")
    seed_key = f"m05-gal-{kind}-seed"
    seed = st.session_state.setdefault(seed_key, 0)
    cols[1].button("Another sample", key=f"m05-gal-{kind}-again", icon=":material/casino:",
                   on_click=lambda: st.session_state.update({seed_key: seed + 1}))
    return tau, seed


def _timing(text: str, seconds: float, unknown: list[str]) -> None:
    st.caption(f"{len(text)} characters generated in {seconds * 1000:.0f} ms on this server "
               f"({len(text) / max(seconds, 1e-9):,.0f} characters per second), measured when first generated.")
    if unknown:
        st.caption(f"Left out of the prime (not in the model's alphabet): {''.join(unknown)!r}")


@st.fragment
@guard.demo_guard("Sample gallery: Shakespeare")
def _shakespeare() -> None:
    name = MODELS["play"]
    if not _available(name):
        _missing(name)
        return
    who = st.text_input("Character name", value="Juliet", max_chars=30, key="m05-gal-play-name")
    tau, seed = _controls("play")
    try:
        prime = gallery.speaker_prime(who)
    except ValueError as exc:
        st.warning(str(exc))
        return
    text, seconds, unknown = generate(name, prime, tau, seed)
    st.code(prime + gallery.cut_speech(text), language=None, wrap_lines=True)
    _timing(text, seconds, unknown)
    st.caption(lessons.block("m05", "play-note"))


@st.fragment
@guard.demo_guard("Sample gallery: LaTeX")
def _latex() -> None:
    name = MODELS["latex"]
    if not _available(name):
        _missing(name)
        return
    statement = st.text_area("Theorem statement (LaTeX)", height=80, key="m05-gal-latex-statement",
                             value="Let $R$ be a Noetherian ring and $M$ a finite $R$-module. Then $M$ is "
                                   "finitely presented.")
    tau, seed = _controls("latex")
    try:
        prime = gallery.proof_prime(statement)
    except ValueError as exc:
        st.warning(str(exc))
        return
    text, seconds, unknown = generate(name, prime, tau, seed)
    proof = gallery.cut_proof(text)
    st.code(prime + proof, language="latex", wrap_lines=True)
    _timing(text, seconds, unknown)
    found = gallery.latex_errors(prime + proof)
    st.caption("Structure check (core.lessons.gallery): " + ("; ".join(f"line {f.line}: {f.message}" for f in found)
                                                     if found else "every \\end and } matches an opener."))


@st.fragment
@guard.demo_guard("Sample gallery: C")
def _c_code() -> None:
    name = MODELS["c"]
    if not _available(name):
        _missing(name)
        return
    signature = st.text_input("Function signature", value="static int count_free_pages(struct zone *zone)",
                              max_chars=gallery.MAX_SIGNATURE, key="m05-gal-c-signature")
    tau, seed = _controls("c")
    try:
        prime = gallery.function_prime(signature)
    except ValueError as exc:
        st.warning(str(exc))
        return
    text, seconds, unknown = generate(name, prime, tau, seed)
    body = gallery.cut_function(text)
    st.code(prime + body, language="c", wrap_lines=True)
    _timing(text, seconds, unknown)
    closed = gallery.function_closed(text, body)
    found = gallery.c_errors(prime + body)
    st.caption(("The model closed the function itself. " if closed else "The body did not close within "
                f"{LENGTH} characters. ") + "Bracket check (core.lessons.gallery): " +
               ("; ".join(f"line {f.line}: {f.message}" for f in found) if found else "no mismatched bracket."))


# --------------------------------------------------------------------------------------------------- names


@st.cache_data(show_spinner=False, max_entries=64)
def _names(seed: int, tau: float, n: int) -> list[str]:
    out: list[str] = []
    length = 12 * n
    while len(out) < n and length <= sampling.MAX_LENGTH:
        text, _, _ = generate(MODELS["names"], "\n", tau, seed, length)
        out = gallery.names_from_sample(text)
        length *= 2
    return out[:n]


def _names_file() -> str | None:
    try:
        return corpus_path("names", download=False).read_text(encoding="utf-8")
    except CorpusError:
        return None


@st.cache_data(show_spinner=False, max_entries=2)
def _name_sets(text: str, shuffle_seed: int | None) -> tuple[set[str], set[str]]:
    return gallery.training_names(text, shuffle_seed)


@st.cache_data(show_spinner="Generating 1,000 names...", max_entries=4)
def _novelty(text: str, shuffle_seed: int | None, tau: float) -> tuple[gallery.Novelty, float, float]:
    """(counts of distinct names, share of samples that are new and plausible, seconds)."""
    start = time.perf_counter()
    names = _names(10_000, tau, NOVELTY_NAMES)
    seen, everything = _name_sets(text, shuffle_seed)
    return (gallery.novelty(names, seen, everything), gallery.new_plausible_share(names, everything),
            time.perf_counter() - start)


def _no_names_file() -> None:
    st.warning("Needs names.txt (the training list); not found in the data folder, so real-or-invented cannot be "
               "checked here.", icon=":material/folder_off:")
    if st.button("Download names.txt (228 KB, checked against its sha256)", key="m05-names-download"):
        try:
            corpus_path("names", download=True)
            st.rerun()
        except CorpusError as exc:
            st.error(str(exc))


@st.fragment
@guard.demo_guard("Sample gallery: names")
def _baby_names(ctx: PageContext) -> None:
    name = MODELS["names"]
    if not _available(name):
        _missing(name)
        return
    entry = _entries()[name]
    shuffle_seed = entry.get("data", {}).get("shuffle_lines_seed")
    round_no = st.session_state.setdefault("m05-names-round", 0)
    names = _names(round_no, 1.0, 10)
    lesson.text("m05", "names-intro")
    cols = st.columns(2)
    for i, nm in enumerate(names):
        cols[i % 2].radio(nm.title(), ["real", "invented"], index=None, horizontal=True,
                          key=f"m05-vote-{round_no}-{i}")
    votes = [st.session_state.get(f"m05-vote-{round_no}-{i}") for i in range(len(names))]
    text = _names_file()
    b = st.columns(2)
    checked_key = f"m05-names-checked-{round_no}"
    if b[0].button("Check my votes", key="m05-names-check", disabled=None in votes or text is None):
        st.session_state[checked_key] = True
        judged = gallery.judge_votes(names, votes, *_name_sets(text, shuffle_seed))
        try:
            ctx.store.save_reflection(ctx.learner.id, NAMES_QUIZ, f"round-{round_no}", json.dumps(
                {"names": names, "votes": votes, "right": sum(j.right for j in judged)}))
        except StoreError as exc:
            show_store_error(exc)
    b[1].button("Ten new names", key="m05-names-new", icon=":material/refresh:",
                on_click=lambda: st.session_state.update({"m05-names-round": round_no + 1}))
    if text is None:
        _no_names_file()
        return
    seen, everything = _name_sets(text, shuffle_seed)
    if st.session_state.get(checked_key):
        judged = gallery.judge_votes(names, votes, seen, everything)
        st.markdown("\n".join(
            f"- **{j.name.title()}**: {j.truth}" + (" (only in the held-out 10%)" if j.held_out_only else "")
            + (" :material/check: you got it" if j.right else f" :material/close: you said {j.vote}") for j in judged))
        st.metric("your votes that were right", f"{sum(j.right for j in judged)} / {len(names)}")
    if st.button(f"Measure novelty over {NOVELTY_NAMES:,} generated names", key="m05-names-novelty"):
        st.session_state["m05-names-novelty-on"] = True
    if st.session_state.get("m05-names-novelty-on"):
        nov, new_plausible, seconds = _novelty(text, shuffle_seed, 1.0)
        m = st.columns(4)
        m[0].metric("distinct names generated", f"{nov.distinct:,} of {nov.generated:,}")
        m[1].metric("not in the training split", f"{nov.share_new:.1%}")
        m[2].metric("not anywhere in names.txt", f"{nov.share_new_anywhere:.1%}")
        m[3].metric("new and name-like", f"{new_plausible:.1%}",
                    help="Share of all samples that are not in names.txt and look like a name (2-15 letters, every "
                         "letter pair seen in a real name): the measure the checkpoint's recipe records.")
        st.caption(f"Measured now on {len(seen):,} training names ({len(everything):,} in the whole file), "
                   f"τ = 1, generation took {seconds:.1f} s when first computed (cached after).")


# -------------------------------------------------------------------------------------------------- gallery


@st.cache_data(show_spinner=False)
def _experiments() -> list[dict]:
    return content.strip_lines(content.read_yaml(REPO_ROOT / "assets" / "experiments.yaml"))["rows"]


def experiments_overview() -> None:
    """Karpathy's experiments as reported, next to the small models this course ships (from the manifest)."""
    st.subheader("The experiments, then and here")
    lesson.text("m05", "experiments-intro")
    rows = ["| " + " | ".join(str(r[f]).replace("|", "\\|") for f in ("dataset", "size", "model", "learned",
                                                                       "missed")) + " |" for r in _experiments()]
    st.markdown("| Dataset | Size | Model | It picked up | It missed |\n|---|---|---|---|---|\n" + "\n".join(rows))
    entries = _entries()
    shipped = [{"model": n, "trained on": e.get("data", {}).get("file", "?"),
                "training characters": e.get("data", {}).get("train_chars"), "parameters": e.get("params"),
                "validation loss (nats/char)": e.get("metrics", {}).get("val_loss_nats_per_char"),
                "training time (s)": e.get("training", {}).get("elapsed_s")}
               for n, e in entries.items() if n in (*MODELS.values(), "warpeace-lstm")]
    if shipped:
        lesson.text("m05", "experiments-shipped")
        st.dataframe(pd.DataFrame(shipped), hide_index=True, width="stretch")
        lesson.provenance("Read from checkpoints/manifest.json; `python -m core.train --recipe NAME` retrains any of "
                          "them from its recipe, and `python -m core.train --list` names the recipes.")



def sample_gallery(ctx: PageContext) -> None:
    st.subheader("Sample gallery by dataset")
    lesson.text("m05", "gallery-intro")
    tabs = st.tabs(["Shakespeare", "LaTeX", "C (Linux)", "Baby names"])
    with tabs[0]:
        _shakespeare()
    with tabs[1]:
        _latex()
    with tabs[2]:
        _c_code()
    with tabs[3]:
        _baby_names(ctx)


# ------------------------------------------------------------------------------------------- spot the error


@st.cache_data(show_spinner=False)
def _puzzles() -> list[dict]:
    """Shipped puzzles whose text the detectors still fault (a puzzle with no error now is skipped)."""
    return [p for p in gallery.load_puzzles() if gallery.errors(p["kind"], p["text"])]


@st.fragment
def spot_the_error(ctx: PageContext) -> None:
    st.subheader("Spot-the-error challenge")
    puzzles = _puzzles()
    if not puzzles:
        guard.not_installed("The spot-the-error puzzles (assets/spot_the_error.json)", "python -m core.lessons.gallery")
        return
    lesson.text("m05", "spot-intro")
    idx = st.session_state.setdefault("m05-spot-idx", 0) % len(puzzles)
    p = puzzles[idx]
    lines = p["text"].split("\n")
    st.markdown(f"**Puzzle {idx + 1} of {len(puzzles)} · {KIND_LABEL[p['kind']]}** "
                f"(model {p['model']}, τ = {p['temperature']}, seed {p['seed']})")
    current = _entries().get(p["model"], {}).get("sha256")
    if p.get("sha256") and current != p["sha256"]:
        st.caption(f"This text was drawn from an earlier version of {p['model']} than the one shipped now.")
    st.code(p["text"], language={"c": "c", "latex": "latex"}.get(p["kind"]), line_numbers=True)
    line = st.selectbox("The faulty line is", range(1, len(lines) + 1), index=None, key=f"m05-spot-line-{p['id']}",
                        format_func=lambda i: f"line {i}: {lines[i - 1][:70]}")
    result_key = f"m05-spot-result-{p['id']}"
    cols = st.columns(2)
    if cols[0].button("Check", key="m05-spot-check", disabled=line is None):
        ok, found = gallery.check_answer(p["kind"], p["text"], int(line))
        st.session_state[result_key] = (int(line), ok, [(f.line, f.message) for f in found])
        try:
            ctx.store.save_reflection(ctx.learner.id, SPOT_QUIZ, p["id"], json.dumps({"line": line, "correct": ok}))
        except StoreError as exc:
            show_store_error(exc)
    cols[1].button("Next puzzle", key="m05-spot-next", icon=":material/skip_next:",
                   on_click=lambda: st.session_state.update({"m05-spot-idx": idx + 1}))
    if result_key in st.session_state:
        picked, ok, found = st.session_state[result_key]
        (st.success if ok else st.error)(f"Line {picked}: " + ("yes, that line is faulty." if ok else
                                                               "the detector finds nothing wrong there."))
        st.markdown("The detector's findings:\n" + "\n".join(f"- line {ln}: {msg}" for ln, msg in found))
    try:
        answers = ctx.store.reflections(ctx.learner.id, SPOT_QUIZ)
        solved = sum(json.loads(t).get("correct", False) for t in answers.values())
        st.caption(f"You have solved {solved} of {len(puzzles)} puzzles (your last answer to each counts).")
    except (StoreError, ValueError):
        pass

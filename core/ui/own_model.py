"""'Train on your own text' (Module 5) and the live-dashboard lab (Module 9): pick or upload a text, choose a
model within the budget, train it in the background with the live dashboard, then explore what it learned. The
trained model is saved for this learner only and appears in the model pickers of the explainer views.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from core.data import corpora as data
from core.jobs import registry as jobs
from core.jobs import runs as learner_runs
from core.jobs import uploads
from core.training import coach
from core.ui import models, training

HIDDEN = (32, 64, 128, 192, 256)
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
EXPLAINERS = (("m02", "Module 2: hidden-state visualiser"), ("m03", "Module 3: gate traces and gradient flow"),
              ("m04", "Module 4: temperature playground"), ("m05", "Module 5: activation and neuron explorers"))


@st.cache_data(show_spinner=False, ttl=600)
def builtin_corpora() -> dict[str, str]:
    """Registered corpora present on this server (name -> description)."""
    out = {}
    for name, corpus in data.CORPORA.items():
        try:
            data.corpus_path(name, download=False)
        except data.CorpusError:
            continue
        out[name] = f"{name} ({corpus.bytes / 1e6:.1f} MB: {corpus.source})"
    return out


@st.cache_data(show_spinner="Reading the corpus...", max_entries=6)
def builtin_text(name: str, max_chars: int) -> str:
    """The corpus text (lists like names.txt shuffled once, since sorted order is not what we want learned)."""
    text = data.load_text(name)
    if name == "names":
        text = data.shuffle_lines(text, 0)
    return text[:max_chars]


def _uploaded(key: str) -> uploads.UploadedText | None:
    """The upload widget; a checked text (kept in this session only) or None after showing what was wrong."""
    file = st.file_uploader(f"Upload a plain-text file (UTF-8, up to {uploads.MAX_MB} MB)", key=f"{key}-file",
                            max_upload_size=uploads.MAX_MB,
                            help="Prose, code, lyrics, a list of names: any plain text. It stays in your session, "
                                 "your training run and your saved model; no other learner can see it, and "
                                 "\"Delete my data\" deletes it.")
    if file is None:
        return None
    cache = st.session_state.setdefault(f"{key}-checked", {})
    if file.file_id not in cache:
        cache.clear()  # keep only the current file in this session
        if file.size > uploads.MAX_BYTES:
            cache[file.file_id] = uploads.UploadError(
                f"{uploads.safe_name(file.name)} is {file.size / 2**20:.1f} MB; the limit is {uploads.MAX_MB} MB. "
                "Upload a shorter excerpt: a few hundred kilobytes are plenty for a small model.")
        else:
            try:
                cache[file.file_id] = uploads.read_upload(file.getvalue(), file.name)
            except uploads.UploadError as e:
                cache[file.file_id] = e
    result = cache[file.file_id]
    if isinstance(result, uploads.UploadError):
        st.error(str(result), icon=":material/block:")
        return None
    for note in result.notes:
        st.caption(note)
    return result


SOURCE_LABELS = {"upload": "my own file", "paste": "paste my text"}
PASTE_MAX = 200_000  # characters a learner can paste (a file takes more)


def _pasted(key: str) -> uploads.UploadedText | None:
    """A text area for a learner without a file; checked like an upload once there is something in it."""
    raw = st.text_area(f"Paste your text (at least {uploads.MIN_CHARS:,} characters: a few pages of emails, notes, "
                       "lyrics or a list of names)", key=f"{key}-paste", height=180, max_chars=PASTE_MAX)
    if not raw.strip():
        return None
    try:
        result = uploads.read_upload(raw.encode("utf-8"), "your pasted text")
    except uploads.UploadError as e:
        st.error(str(e), icon=":material/block:")
        return None
    for note in result.notes:
        st.caption(note)
    return result


def _choose_text(key: str, allow_upload: bool, budget: jobs.Budget, upload_first: bool = True,
                 allow_paste: bool = False, prefer: str | None = None) -> tuple[str, str, str] | None:
    """(text, corpus label, title) from an upload, a pasted text or a built-in corpus, or None. The radio starts on
    `prefer` when that corpus is on this server, else on the first source."""
    corpora = builtin_corpora()
    up = (["upload"] if allow_upload else []) + (["paste"] if allow_paste else [])
    sources = up + list(corpora) if upload_first else list(corpora) + up
    if not sources:
        st.info("No built-in corpus is available on this server; upload a text file instead.")
        return None
    source = st.radio("Text to learn from", sources, horizontal=True, key=f"{key}-source",
                      index=sources.index(prefer) if prefer in sources else 0,
                      format_func=lambda s: SOURCE_LABELS.get(s, s))
    if source in ("upload", "paste"):
        up = _uploaded(key) if source == "upload" else _pasted(key)
        if up is None:
            return None
        name = "pasted text" if source == "paste" else up.name
        text, corpus, title = up.text, f"upload:{name}", name.rsplit(".", 1)[0] or "my text"
    else:
        st.caption(corpora[source])
        text, corpus, title = builtin_text(source, budget.max_corpus_chars), source, source
    if len(text) > budget.max_corpus_chars:
        st.caption(f"Only the first {budget.max_corpus_chars:,} characters are used (the per-run budget).")
        text = text[: budget.max_corpus_chars]
    st.caption(f"{len(text):,} characters, {len(set(text))} distinct. The last 10% is held out for validation.")
    return text, corpus, title


def _settings(key: str, text: str, corpus: str, title: str, owner: str, budget: jobs.Budget,
              advanced: bool, seconds_left: float) -> jobs.JobSpec:
    cols = st.columns(4)
    kind = cols[0].selectbox("cell", ["lstm", "gru", "rnn"], key=f"{key}-kind", format_func=str.upper)
    hidden = cols[1].select_slider("hidden units", [h for h in HIDDEN if h <= budget.max_hidden], 128,
                                   key=f"{key}-hidden")
    layers = cols[2].radio("layers", list(range(1, budget.max_layers + 1)), horizontal=True, key=f"{key}-layers")
    dropout = cols[3].slider("dropout", 0.0, 0.5, 0.0, 0.05, key=f"{key}-dropout")
    cols = st.columns(2)
    steps = cols[0].slider("training steps", 50, budget.max_steps, min(600, budget.max_steps), 50,
                           key=f"{key}-steps")
    top = int(max(10, min(budget.max_seconds, seconds_left)))  # the registry caps a run at what is left anyway
    seconds = cols[1].slider("time budget (seconds)", 5, top, min(60, top), 5, key=f"{key}-seconds",
                             help="Training stops at whichever comes first, the steps or the time.")
    lr, clip, batch, seq_len = 3e-3, 1.0, 32, 64
    if advanced:
        cols = st.columns(4)
        lr = cols[0].select_slider("learning rate", LRS, 3e-3, key=f"{key}-lr", format_func=lambda v: f"{v:g}")
        clip = cols[1].select_slider("gradient clipping (max norm; 0 = off)", [0.0, 0.5, 1.0, 5.0], 1.0,
                                     key=f"{key}-clip")
        batch = cols[2].select_slider("batch size", [8, 16, 32, 64], 32, key=f"{key}-batch")
        seq_len = cols[3].select_slider("sequence length (BPTT window)", [16, 32, 64, 128], 64, key=f"{key}-seq")
    return jobs.JobSpec(owner=owner, text=text, corpus=corpus, title=title, kind=kind, hidden=hidden,
                        layers=layers, embed=32, dropout=dropout, steps=steps, seconds=float(seconds), lr=lr,
                        batch=batch, seq_len=seq_len, clip=clip, eval_every=max(10, steps // 20),
                        sample_every=max(25, steps // 6))


def _preflight(spec: jobs.JobSpec, budget: jobs.Budget) -> list[str]:
    """Budget problems (which block the start) and the coach's size advice (which does not)."""
    problems = jobs.check_spec(spec, budget)
    if problems:
        for p in problems:
            st.error(p, icon=":material/block:")
        return problems
    vocab_size = len(set(spec.text))
    params = jobs.count_params(spec, vocab_size)
    train_chars = int(len(spec.text) * (1 - data.VAL_FRACTION))
    mem = jobs.estimate_memory_mb(spec, vocab_size, len(spec.text))
    st.caption(f"{params:,} parameters · about {mem:.0f} MB while training · {train_chars:,} training characters")
    size = coach.suggest_hidden(train_chars, vocab_size, spec.layers, spec.embed)
    drop = coach.suggest_dropout(params, train_chars)
    if params > train_chars:
        st.warning(f"**Corpus too small for this model:** {params:,} parameters for {train_chars:,} characters "
                   f"invites memorising. For this much text the coach suggests about {size} hidden units and "
                   f"dropout {drop:.1f}.", icon=":material/warning:")
    else:
        st.caption(f"Coach: for {train_chars:,} characters, up to about {size} hidden units fit without more "
                   f"parameters than characters; suggested dropout {drop:.1f}.")
    return []


def _setup(ctx, key: str, allow_upload: bool, advanced: bool) -> None:
    reg = jobs.registry(ctx.store)
    left = reg.remaining_seconds(ctx.learner.uid)
    chosen = _choose_text(key, allow_upload, reg.budget, upload_first=not advanced)
    if chosen is None:
        return
    spec = _settings(key, *chosen, ctx.learner.uid, reg.budget, advanced, left)
    blocked = _preflight(spec, reg.budget)
    if st.button("Start training", key=f"{key}-start", type="primary", icon=":material/play_arrow:",
                 disabled=bool(blocked) or left < 5):
        try:
            reg.submit(spec)  # built from this run's widget values
            st.session_state.pop(f"{key}-error", None)
            st.rerun()
        except jobs.JobError as e:
            st.session_state[f"{key}-error"] = str(e)
    st.caption(f"Training time left for you today: {training._duration(left)}. Runs are capped at "
               f"{reg.budget.max_seconds:.0f} s and {reg.budget.max_steps:,} steps; {reg.budget.concurrent} "
               "run(s) train at once for the whole course, others wait in a queue.")
    if st.session_state.get(f"{key}-error"):
        st.error(st.session_state[f"{key}-error"], icon=":material/block:")


def _run_panel(ctx, key: str, allow_upload: bool, advanced: bool) -> None:
    job = jobs.registry(ctx.store).current(ctx.learner.uid)
    if job is not None and not job.progress().done:
        st.caption(f"Your run on **{job.spec.title}** is training; it keeps going (and is saved) even if you "
                   "leave this page or close the tab.")
    else:
        with st.container(border=True):
            _setup(ctx, key, allow_upload, advanced)
    training.training_dashboard(ctx, job, key=f"{key}-dash")


def _pick_run(ctx, key: str, heading: str, label: str, empty: str) -> learner_runs.RunRecord | None:
    """A heading and a select box of the learner's saved models (newest first); the chosen one, or None (with
    `empty` shown) when there is none."""
    jobs.registry(ctx.store)  # learners' models live in this store
    runs = learner_runs.list_runs(ctx.learner.uid)
    st.markdown(f"#### {heading}")
    if not runs:
        st.caption(empty)
        return None
    labels = {r.run_id: models.own_label(r) for r in runs}
    run_id = st.selectbox(label, list(labels), format_func=labels.get, key=f"{key}-run")
    return next(r for r in runs if r.run_id == run_id)


@st.fragment
def explore(ctx, key: str) -> None:
    """Samples from one of the learner's saved models, and where else it can be explored."""
    rec = _pick_run(ctx, key, "Explore what your model learned", "Your saved models (newest first)",
                    "Your trained models will appear here (and in the explainer views) once a run has saved.")
    if rec is None:
        return
    run_id = rec.run_id
    cols = st.columns([3, 1, 1])
    prime = cols[0].text_input("Start the text with", value="\n", max_chars=200, key=f"{key}-prime")
    tau = cols[1].slider("temperature τ", 0.1, 2.0, 0.8, 0.1, key=f"{key}-tau")
    seed = cols[2].number_input("seed", 0, 10**6, 0, key=f"{key}-seed")
    name = models.own_key(ctx.learner.id, run_id)
    try:
        text = models.sample(name, prime, tau, int(seed), 400)
    except (KeyError, OSError, ValueError) as e:
        st.error(f"This model could not be loaded ({e}).")
        return
    st.code(prime + text, language=None, wrap_lines=True)
    val = "—" if rec.val_loss is None else f"{rec.val_loss:.3f}"
    st.caption(f"{rec.corpus} · {rec.steps} steps ({rec.stopped}) · validation loss {val} nats/char · trained "
               f"{rec.created_at[:16].replace('T', ' ')} UTC. Low τ repeats the safest patterns; high τ invents.")
    st.markdown("Your model now appears in the **Model** picker of these views:")
    for page_id, label in EXPLAINERS:
        page = ctx.course.pages.get(page_id)
        if page is not None:
            st.page_link(page.file, label=label, icon=":material/visibility:")
    if st.button("Delete this model", key=f"{key}-delete", icon=":material/delete:"):
        learner_runs.delete_run(ctx.learner.uid, run_id)
        st.rerun()
    st.caption(f"You keep your {learner_runs.max_runs()} newest models; older ones are deleted when you train "
               "a new one.")


def train_your_own(ctx, key: str = "m05-own") -> None:
    """Module 5, 'Train on your own text': upload or pick a corpus, train with the live dashboard, explore."""
    st.subheader("Train on your own text")
    st.markdown("Give a small character model any text you like and watch it learn the text's format, the same "
                "experiment as the lesson's, at a size this server can train in a minute. Training runs in the "
                "background: the dashboard below redraws every two seconds, the **Stop** button keeps what was "
                "trained so far, and the model is saved to your account when the run ends.")
    _run_panel(ctx, key, allow_upload=True, advanced=False)
    explore(ctx, key)


def live_dashboard_lab(ctx, key: str = "m09-live") -> None:
    """Module 9, 'Live training dashboard': a built-in corpus, the knobs of section 9.5, and the coach."""
    st.subheader("Live training dashboard")
    st.markdown("Train a small model with the knobs that decide whether training works: learning rate, gradient "
                "clipping, dropout, batch size and the BPTT window. Try a vanilla RNN with a learning rate of 1 and "
                "clipping off to see the loss blow up, or a large model with no dropout on a short text (upload a few pages of "
                "your own) to watch it overfit; the coach reads the live curves and says what it sees.")
    _run_panel(ctx, key, allow_upload=True, advanced=True)


# ---- path C's last step: a preset two-minute run, then the model at three temperatures ---------------------------

QUICK_SECONDS = 120.0  # the preset run: about two minutes (the registry's per-run cap may be lower)
QUICK_DEFAULT = "tinyshakespeare"  # a course text, so a learner without a file of their own can train at once
QUICK_TAUS = ((0.5, "low: safe and repetitive"), (1.0, "medium: as trained"), (1.5, "high: adventurous, more errors"))


def quick_spec(owner: str, text: str, corpus: str, title: str, budget: jobs.Budget, seconds_left: float
               ) -> jobs.JobSpec:
    """The preset: a one-layer LSTM as large as the coach says the text supports (at most 128 units), with the
    coach's dropout, trained for up to two minutes; the time, not the step count, ends the run."""
    vocab_size, train_chars = len(set(text)), int(len(text) * (1 - data.VAL_FRACTION))
    size = min(coach.suggest_hidden(train_chars, vocab_size, 1, 32), 128, budget.max_hidden)
    hidden = max((h for h in HIDDEN if h <= size), default=HIDDEN[0])
    spec = jobs.JobSpec(owner=owner, text=text, corpus=corpus, title=title, kind="lstm", hidden=hidden, layers=1,
                        embed=32, steps=budget.max_steps, seconds=float(min(QUICK_SECONDS, budget.max_seconds,
                                                                            max(seconds_left, 1.0))),
                        eval_every=100, sample_every=250)
    drop = coach.suggest_dropout(jobs.count_params(spec, vocab_size), train_chars)
    return dataclasses.replace(spec, dropout=drop)


def _quick_setup(ctx, key: str) -> None:
    reg = jobs.registry(ctx.store)
    left = reg.remaining_seconds(ctx.learner.uid)
    chosen = _choose_text(key, allow_upload=True, budget=reg.budget, upload_first=False, allow_paste=True,
                          prefer=QUICK_DEFAULT)
    if chosen is None:
        return
    spec = quick_spec(ctx.learner.uid, *chosen, reg.budget, left)
    st.caption(f"Preset: an LSTM with {spec.hidden} units, dropout {spec.dropout:.1f}, trained for "
               f"{spec.seconds:.0f} seconds. Module 5's 'Train on your own text' lets you change every setting.")
    if jobs.count_params(spec, len(set(spec.text))) > len(spec.text) * (1 - data.VAL_FRACTION):
        st.caption("Your text is short even for the smallest model, so it will partly memorise it: a few more "
                   "pages give it more to learn from.")
    blocked = jobs.check_spec(spec, reg.budget)
    for problem in blocked:
        st.error(problem, icon=":material/block:")
    if st.button("Train my model", key=f"{key}-start", type="primary", icon=":material/play_arrow:",
                 disabled=bool(blocked) or left < 5):
        try:
            reg.submit(spec)
            st.session_state.pop(f"{key}-error", None)
            st.rerun()
        except jobs.JobError as e:
            st.session_state[f"{key}-error"] = str(e)
    if st.session_state.get(f"{key}-error"):
        st.error(st.session_state[f"{key}-error"], icon=":material/block:")


@st.fragment
def three_temperatures(ctx, key: str) -> None:
    """The learner's newest (or chosen) saved model sampled at a low, a medium and a high temperature."""
    rec = _pick_run(ctx, key, "Your model at three temperatures", "Model",
                    "Once your run has saved, three samples of it appear here.")
    if rec is None:
        return
    run_id = rec.run_id
    prime = st.text_input("Start the text with", value="\n", max_chars=200, key=f"{key}-prime")
    seed = st.session_state.setdefault(f"{key}-seed", 0)
    name = models.own_key(ctx.learner.id, run_id)
    cols = st.columns(len(QUICK_TAUS))
    for col, (tau, what) in zip(cols, QUICK_TAUS, strict=True):
        try:
            text = models.sample(name, prime, tau, seed, 300)
        except (KeyError, OSError, ValueError) as e:
            st.error(f"This model could not be loaded ({e}).")
            return
        col.markdown(f"**τ = {tau}** · {what}")
        col.code(prime + text, language=None, wrap_lines=True)
    st.button("Three new samples", key=f"{key}-again", icon=":material/casino:",
              on_click=lambda: st.session_state.update({f"{key}-seed": seed + 1}))
    st.caption("The same model and the same random seed each time; only the temperature differs. Low τ sharpens "
               "the model's probabilities towards its favourite characters, high τ flattens them, exactly the "
               "setting of the same name in today's LLM tools.")


def quick_model(ctx, key: str = "own-quick") -> None:
    """'Your own model' (path C's last step): pick, paste or upload a text, train the preset, read three
    temperatures. The step counts once a model of the learner's is saved (core.course.progress.OWN_MODEL_PAGE)."""
    on_path = ctx.path is not None and ctx.page.id in ctx.path.steps
    if on_path and ctx.evidence.models > 0:
        st.success("You have a saved model of your own, so this step counts on your path.",
                   icon=":material/check_circle:")
    elif on_path:
        st.info("This step counts on your path once a model of yours has finished training and is saved.",
                icon=":material/model_training:")
    job = jobs.registry(ctx.store).current(ctx.learner.uid)
    if job is not None and not job.progress().done:
        st.caption(f"Your run on **{job.spec.title}** is training; it keeps going (and is saved) even if you "
                   "leave this page or close the tab.")
    else:
        with st.container(border=True):
            _quick_setup(ctx, key)
    training.training_dashboard(ctx, job, key=f"{key}-dash")
    three_temperatures(ctx, key)

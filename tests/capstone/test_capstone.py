"""Capstone computations: templates, uploads, dataset statistics and splits, the server's re-measurement of a
learner's run, neuron correlations, badge and milestone rules, and the presentation and certificate files."""

import json
import math
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.capstone import data as capstone_data
from core.capstone import export as capstone_export
from core.capstone import neurons as capstone_neurons
from core.capstone import projects as capstone
from core.cohort.store import GalleryItem, ResultRecord, ReviewAggregate
from core.data.corpora import CorpusError, TextData, eval_streams, load_text, shuffle_lines, split_text
from core.jobs import runs as learner_runs
from core.models.charlm import CharLMConfig, build
from core.settings import REPO_ROOT
from core.training.loop import TrainConfig, train

torch.set_num_threads(1)
ROOT = REPO_ROOT
TEXT = "the cat sat on the mat. the dog sat on the log. " * 60


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path))
    return tmp_path


def _run(learner_id=1, text=TEXT, corpus="upload:cats.txt", steps=30):
    torch.manual_seed(0)
    data = TextData.from_text(text)
    model = build(CharLMConfig(kind="gru", vocab_size=len(data.vocab), hidden=16, layers=1, embed=8))
    history = train(model, data, TrainConfig(batch=4, seq_len=16, max_steps=steps, eval_every=10, warmup_steps=2))
    tr, va = split_text(text)
    return learner_runs.save_run(learner_id, model, data.vocab, tr, va, history,
                                 {"title": "cats", "corpus": corpus, "stopped": "finished"})


# ---- templates and data -----------------------------------------------------------------------------------------


def test_every_level_and_domain_gives_a_valid_starting_point():
    for level in capstone.levels():
        for domain in capstone.domains():
            t = capstone.template(level["id"], domain["id"])
            CharLMConfig(vocab_size=50, **t.model)
            TrainConfig(**t.train)
            compile(capstone.starter_script(t), "capstone_start.py", "exec")
            assert t.corpus is None or t.corpus in capstone.CORPORA
    with pytest.raises(ValueError):
        capstone.template("expert", "prose")


@pytest.mark.slow  # a fresh interpreter imports torch and trains for a second: ~10 s, more on a loaded machine
def test_starter_script_trains_and_reports_a_held_out_perplexity(tmp_path):
    script = capstone.starter_script(capstone.template("beginner", "lists"))
    assert "shuffle_lines_seed=0" in script
    path = tmp_path / "capstone_start.py"
    path.write_text(script.replace("time_budget_s=60", "time_budget_s=1"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "held-out perplexity" in out.stdout


def test_reference_perplexity_is_read_from_the_shipped_manifest():
    name, ppl = capstone.reference_perplexity(capstone.template("beginner", "prose"))
    from core.training import checkpoints
    assert ppl == pytest.approx(math.exp(checkpoints.entry(name)["metrics"]["val_loss_nats_per_char"]))
    assert capstone.reference_perplexity(capstone.template("beginner", "custom")) is None


@pytest.mark.parametrize("payload, message", [
    (b"", "empty"), (b"abc\x00def" * 300, "binary"), (b"\xff\xfe\xfa" * 500, "not UTF-8"), (b"short", "at least"),
    (b"x" * (capstone_data.UPLOAD_MAX_BYTES + 1), "limit"),
])
def test_bad_uploads_are_refused_with_a_reason(payload, message):
    with pytest.raises(ValueError, match=message):
        capstone_data.read_upload("f.txt", payload)


def test_upload_is_decoded_and_line_endings_normalised():
    text = capstone_data.read_upload("f.txt", "\ufeff".encode() + ("héllo\r\n" * 300).encode())
    assert text.startswith("héllo\n") and "\r" not in text


def test_dataset_stats_match_an_independent_count():
    text = "abracadabra\nhello world\n" * 10
    st = capstone_data.dataset_stats(text)
    counts = Counter(text)
    p = np.array(list(counts.values())) / len(text)
    assert st.chars == len(text) and st.vocab == len(counts) and st.lines == 20 and st.words == 30
    assert st.top[0] == counts.most_common(1)[0]
    assert st.unigram_bits == pytest.approx(float(-(p * np.log2(p)).sum()))
    assert st.unigram_perplexity == pytest.approx(2 ** st.unigram_bits)
    assert capstone_data.dataset_stats("").chars == 0


def test_three_way_split_is_contiguous_and_sized():
    text = "".join(chr(65 + i % 26) for i in range(1000))
    sp = capstone_data.three_way_split(text, 0.1, 0.2)
    assert (len(sp.train), len(sp.val), len(sp.test)) == (700, 100, 200)
    assert sp.train + sp.val + sp.test == text
    with pytest.raises(ValueError):
        capstone_data.three_way_split(text, 0.6, 0.5)


def test_snippets_come_from_the_text():
    text = "line one\nline two\n" * 100
    assert all(s in text for s in capstone_data.snippets(text, 3, 40, seed=1))


# ---- the server's measurement ----------------------------------------------------------------------------------


def test_evaluate_run_recomputes_the_loss_on_the_stored_held_out_text():
    rec = _run()
    m = capstone.evaluate_run(1, rec.run_id)
    model, vocab, _ = learner_runs.load_run(1, rec.run_id)
    x, y = eval_streams(torch.tensor(vocab.encode(split_text(TEXT)[1])), 16)
    with torch.no_grad():
        logits, _, _ = model(x)  # one pass over the whole streams: no chunking
    reference = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()
    assert m.loss == pytest.approx(reference, rel=1e-5)
    assert m.loss == pytest.approx(rec.val_loss, rel=1e-4), "the same number training reported"
    assert m.perplexity == pytest.approx(math.exp(m.loss)) and m.bits_per_char == pytest.approx(m.loss / math.log(2))
    assert m.chars == y.numel() and len(m.sample) == capstone.SAMPLE_CHARS
    assert m.category is None and "2,000" in m.why_not, "a 288-character held-out split is too small to rank"
    assert m.unigram_perplexity == pytest.approx(capstone_data.unigram_perplexity(split_text(TEXT)[1]))


def test_another_learners_run_cannot_be_measured():
    rec = _run(learner_id=1)
    with pytest.raises(KeyError):
        capstone.evaluate_run(2, rec.run_id)


def test_builtin_category_needs_a_verifiable_held_out_split():
    try:
        names = load_text("names")
    except CorpusError:
        pytest.skip("names.txt is not in the data folder")
    held = names[-5000:]
    assert capstone.leaderboard_category("names", held) == ("names", "")
    fake = "emma\n" * 1000  # a trivially predictable "held-out split" made of a real corpus line
    category, why = capstone.leaderboard_category("names", fake)
    assert category is None and "not a contiguous part of the names corpus" in why
    shuffled = shuffle_lines(names, 0)[-5000:]  # what the in-app trainer holds out for names
    assert capstone.leaderboard_category("names", shuffled) == ("names", "")
    assert capstone.leaderboard_category("names", held[:100])[0] is None
    assert capstone.leaderboard_category("upload:x.txt", fake) == (capstone.OWN_DATA, "")


# ---- neurons -----------------------------------------------------------------------------------------------------


def test_pearson_matches_numpy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 5))
    b = a[:, 2] * 0.5 + rng.normal(size=200)
    r = capstone_neurons.pearson(torch.tensor(a), torch.tensor(b)).numpy()
    assert r == pytest.approx([np.corrcoef(a[:, j], b)[0, 1] for j in range(5)])
    assert capstone_neurons.pearson(torch.tensor(a), torch.ones(200)).tolist() == [0.0] * 5


def test_char_features_follow_the_text():
    f = capstone_neurons.char_features('a "b c" (d)\nE')
    assert f["inside quotes"] == [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert f["inside brackets"] == [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]
    assert f["position in line"][-2:] == [0, 1] and f["uppercase"][-1] == 1


def test_neuron_scan_gives_one_correlation_per_neuron_and_feature():
    rec = _run()
    model, vocab, _ = learner_runs.load_run(1, rec.run_id)
    scan = capstone_neurons.neuron_scan(model, vocab, TEXT, max_chars=500)
    assert scan.activations.shape == (500, 16)
    assert all(len(v) == 16 and all(-1 <= r <= 1 for r in v) for v in scan.corr.values())
    neuron, feature, r = scan.best(1)[0]
    assert abs(r) == max(abs(v[n]) for v in scan.corr.values() for n in range(16))
    with pytest.raises(ValueError):
        capstone_neurons.neuron_scan(model, vocab, "\u4e2d" * 50)


# ---- badges and milestones -----------------------------------------------------------------------------------


def _run_rec(**kw):
    base = dict(run_id="r", learner_id=1, title="t", corpus="names", text_sha256="", config={}, steps=10,
                train_loss=2.0, val_loss=2.1, created_at="2026-01-01T00:00:00", stopped="finished")
    return learner_runs.RunRecord(**{**base, **kw})


def _result(loss, chars=5000, unigram=20.0, category=None, hidden=False):
    return ResultRecord(1, "r", "t", "names", {}, loss, chars, unigram, "s", datetime.now(UTC), category, None, None,
                        hidden, None)


def test_first_run_badge_needs_a_real_finished_run():
    assert capstone.earned_badges(capstone.Events([], [])) == {}
    for bad in (_run_rec(steps=0), _run_rec(val_loss=None), _run_rec(stopped="nan"), _run_rec(val_loss=math.inf)):
        assert "first-run" not in capstone.earned_badges(capstone.Events([bad], []))
    assert "first-run" in capstone.earned_badges(capstone.Events([_run_rec()], []))


def test_perplexity_badges_follow_the_server_measurement():
    earned = capstone.earned_badges(capstone.Events([], [_result(math.log(6.0))]))
    assert {"beat-baseline", "ppl-8"} <= set(earned) and "ppl-5" not in earned
    earned = capstone.earned_badges(capstone.Events([], [_result(math.log(4.0), chars=500)]))
    assert "ppl-5" not in earned and "ppl-8" not in earned, "too few held-out characters"
    assert "beat-baseline" not in capstone.earned_badges(capstone.Events([], [_result(math.log(25.0))]))
    assert "on-the-board" in capstone.earned_badges(capstone.Events([], [_result(1.0, category="names")]))
    assert "on-the-board" not in capstone.earned_badges(
        capstone.Events([], [_result(1.0, category="names", hidden=True)]))


def test_neuron_review_sample_and_lab_badges():
    f = SimpleNamespace
    findings = [f(run_id="r", layer=0, neuron=n, feature="space", correlation=r) for n, r in ((1, 0.5), (2, -0.6))]
    assert "neuron-hunter" not in capstone.earned_badges(capstone.Events([], [], findings=findings))
    findings.append(f(run_id="r", layer=0, neuron=3, feature="vowel", correlation=0.2))
    assert "neuron-hunter" not in capstone.earned_badges(capstone.Events([], [], findings=findings))
    findings.append(f(run_id="r", layer=0, neuron=4, feature="vowel", correlation=0.45))
    assert "neuron-hunter" in capstone.earned_badges(capstone.Events([], [], findings=findings))
    assert "peer-reviewer" in capstone.earned_badges(capstone.Events([], [], reviews_done=3))
    long = GalleryItem(7, "word " * 120, {}, 0, False, True, datetime.now(UTC))
    good = {7: ReviewAggregate(2, 4.0, 3.0, 3.0)}
    assert "coherent-writer" in capstone.earned_badges(capstone.Events([], [], samples=[long], feedback=good))
    one = {7: ReviewAggregate(1, 5.0, 5.0, 5.0)}
    assert "coherent-writer" not in capstone.earned_badges(capstone.Events([], [], samples=[long], feedback=one))
    short = replace(long, text="word " * 50)
    assert "coherent-writer" not in capstone.earned_badges(capstone.Events([], [], samples=[short], feedback=good))
    assert "lab-regular" in capstone.earned_badges(capstone.Events([], [], labs_solved=4))
    assert set(capstone.earned_badges(capstone.Events([], [], labs_solved=3))) == set()


def test_every_badge_rule_has_wording():
    ids = {b["id"] for b in capstone.content()["badges"]}
    everything = capstone.Events(
        [_run_rec()], [_result(1.0, category="names")], reviews_done=3, labs_solved=5,
        findings=[SimpleNamespace(run_id="r", layer=0, neuron=n, feature="x", correlation=0.9) for n in range(3)],
        samples=[GalleryItem(1, "w " * 100, {}, 0, False, True, datetime.now(UTC))],
        feedback={1: ReviewAggregate(3, 4.0, 4.0, 4.0)})
    assert set(capstone.earned_badges(everything)) == ids


def test_milestones_follow_saved_events():
    ms = capstone.milestones(capstone.Events([], []))
    assert [m.done for m in ms] == [False] * 5
    notes = {"template": "beginner/prose", "architecture": "GRU because it trains fast here",
             "approach": "Tiny Shakespeare with a small GRU.", "limitations": "Too small to keep names consistent."}
    ms = capstone.milestones(capstone.Events([_run_rec()], [_result(1.5)], notes=notes))
    assert [m.done for m in ms] == [True] * 5


# ---- presentation and certificate --------------------------------------------------------------------------------


def _presentation(**kw):
    base = dict(learner="Ada <b>", project="Beginner · Plays and prose", run_title="My GRU", corpus="tinyshakespeare",
                config={"kind": "gru", "hidden": 128}, train_config={"lr": 0.003}, steps=500,
                train_curve=[(1, 4.2), (250, 2.1), (500, 1.8)], val_curve=[(250, 2.2), (500, 1.9)], loss=1.9,
                chars=100_000, unigram_perplexity=27.5, samples=["ROMEO:\nWhat <script>alert(1)</script>"],
                findings=[(3, "space", 0.61, "fires after words")],
                notes={"approach": "Small GRU.", "limitations": "Forgets names."})
    return capstone_export.Presentation(**{**base, **kw})


def test_presentation_markdown_holds_config_measured_metrics_curve_and_samples():
    md = capstone_export.presentation_markdown(_presentation())
    assert "# My GRU" in md and "`hidden`: 128" in md and f"{math.exp(1.9):.3f}" in md
    assert f"{1.9 / math.log(2):.3f}" in md and "| 500 | 1.800 | 1.900 |" in md and "ROMEO:" in md
    assert "Forgets names." in md and "fires after words" in md
    assert "not measured yet" in capstone_export.presentation_markdown(_presentation(loss=None))


def test_presentation_html_escapes_learner_text_and_draws_the_curve():
    page = capstone_export.presentation_html(_presentation())
    assert "<script>" not in page and "&lt;script&gt;" in page and "Ada &lt;b&gt;" in page
    assert page.count("<polyline") == 2 and "loss (nats/char)" in page and "training step" in page
    assert f"{math.exp(1.9):.3f}" in page
    assert "<polyline" not in capstone_export.presentation_html(_presentation(train_curve=[], val_curve=[]))


def test_certificate_pdf_names_the_learner_modules_and_skills():
    cert = capstone_export.Certificate("Zoë Smith 李", "Full course", ["Module 1 · Why sequences"],
                                       ["Trained a character-level model"], ["First run"], datetime(2026, 5, 1))
    pdf = capstone_export.certificate_pdf(cert, compress=False)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    body = pdf.decode("latin-1")
    for text in ("Zo\xeb Smith ?", "Full course", "Module 1 - Why sequences", "Trained a character-level model",
                 "Badge: First run", "01 May 2026"):
        assert text in body, text
    assert capstone_export.certificate_pdf(cert).startswith(b"%PDF-")


def test_a_claimed_loss_in_the_run_record_does_not_change_the_measurement(state):
    rec = _run()
    honest = capstone.evaluate_run(1, rec.run_id).loss
    path = state / "runs" / "1" / rec.run_id / "record.json"
    payload = json.loads(path.read_text())
    payload["record"]["val_loss"] = 0.01  # a "posted" number
    payload["history"]["evals"] = [[30, 0.01]]
    path.write_text(json.dumps(payload))
    assert learner_runs.get_record(1, rec.run_id).val_loss == 0.01
    assert capstone.evaluate_run(1, rec.run_id).loss == pytest.approx(honest)


# ---- progress dashboard: phases from recorded time stamps ---------------------------------------------------------

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _at(hours):
    return T0 + timedelta(hours=hours)


def _measured(at, submitted=None):
    return ResultRecord(1, "r", "t", "names", {}, 1.5, 5000, 20.0, "s", at, "names" if submitted else None, None,
                        submitted, False, None)


def test_a_new_learner_has_only_the_first_phase_current_and_the_rest_not_started():
    ps = capstone.phases(capstone.Events([], []), {})
    assert [p.status for p in ps] == ["current"] + ["not started"] * 4
    assert all(p.start is None and p.end is None for p in ps)
    assert ps[0].duration(T0) is None, "the first phase has no recorded start"
    assert capstone.current_phase(ps).name == "Prepare the data"
    assert capstone.event_log(capstone.Events([], []), {}) == []


def test_phases_run_between_consecutive_recorded_milestone_events():
    notes = {"template": "a/b", "architecture": "a GRU with 2 layers, 256 units, dropout 0.2",
             "approach": "x" * 30, "limitations": "y" * 30}
    times = {"template": _at(0), "architecture": _at(2), "approach": _at(50), "limitations": _at(49)}
    runs = [_run_rec(run_id="b", created_at=_at(7).isoformat()),
            _run_rec(run_id="a", created_at=_at(5).replace(tzinfo=None).isoformat()),  # naive ISO means UTC
            _run_rec(run_id="c", created_at=_at(1).isoformat(), val_loss=None)]  # not finished: does not count
    ev = capstone.Events(runs, [_measured(_at(30)), _measured(_at(8))], notes=notes)
    ps = capstone.phases(ev, times)
    assert [p.status for p in ps] == ["done"] * 5 and capstone.current_phase(ps) is None
    assert [p.end for p in ps] == [_at(0), _at(2), _at(5), _at(8), _at(50)]
    assert [p.start for p in ps] == [None, _at(0), _at(2), _at(5), _at(8)]
    assert [p.duration() for p in ps] == [None] + [_at(h) - _at(s) for s, h in ((0, 2), (2, 5), (5, 8), (8, 50))]
    assert "no recorded start" in ps[0].start_from and "Train" in ps[3].start_from


def test_current_phase_counts_from_the_last_milestone_and_later_ones_are_not_started():
    ev = capstone.Events([], [], notes={"template": "a/b"})
    ps = capstone.phases(ev, {"template": _at(0)})
    assert [p.status for p in ps] == ["done", "current", "not started", "not started", "not started"]
    assert ps[1].start == _at(0) and ps[1].duration(_at(3)) == _at(3) - _at(0)
    assert ps[2].start is None and ps[2].duration(_at(3)) is None


def test_a_note_saved_again_later_makes_the_duration_unknown_not_negative():
    notes = {"template": "a/b", "architecture": "an LSTM, because the texts are long"}
    ev = capstone.Events([_run_rec(created_at=_at(1).isoformat())], [], notes=notes)
    ps = capstone.phases(ev, {"template": _at(0), "architecture": _at(4)})  # edited after training
    assert ps[2].status == "done" and ps[2].start == _at(4) and ps[2].end == _at(1)
    assert ps[2].duration() is None
    assert ps[3].status == "current" and ps[3].start == _at(4)


def test_reaching_a_milestone_needs_the_event_not_just_a_time_stamp():
    ev = capstone.Events([], [], notes={"template": "a/b", "architecture": "short"})  # under 20 characters
    ps = capstone.phases(ev, {"template": _at(0), "architecture": _at(1)})
    assert ps[1].status == "current" and ps[1].end is None


def test_format_duration_units():
    assert capstone.format_duration(timedelta(minutes=42)) == "42 min"
    assert capstone.format_duration(timedelta(hours=5, minutes=30)) == "5.5 h"
    assert capstone.format_duration(timedelta(days=3, hours=12)) == "3.5 days"
    assert capstone.format_duration(None) == "unknown"


def test_event_log_collects_every_time_stamp_in_order():
    from core.cohort.store import BadgeRecord, FindingRecord
    ev = capstone.Events([_run_rec(created_at=_at(3).isoformat())], [_measured(_at(4), submitted=_at(6))],
                         findings=[FindingRecord("r", 0, 5, "space", 0.7, "n", _at(5))],
                         samples=[GalleryItem(9, "text", {}, 0, False, True, _at(7))])
    log = capstone.event_log(ev, {"template": _at(1)}, {"first-run": BadgeRecord("first-run", "e", _at(3.5))})
    assert [e.at for e in log] == [_at(h) for h in (1, 3, 3.5, 4, 5, 6, 7)]
    assert [e.kind for e in log] == ["note saved", "run saved", "badge", "run measured", "neuron finding",
                                     "leaderboard", "sample shared"]


from core.lessons import guessing
from tests.app.conftest import all_text, open_page

M04 = "pages/m04_char_lm.py"


def test_m04_hello_training_changes_the_numbers(learner):
    at = open_page(M04, learner[1])
    assert not at.exception
    before = at.metric[1].value
    at.slider(key="m04-hello-steps").set_value(0).run()
    assert not at.exception
    assert at.metric[1].value != before
    assert at.metric[0].value == at.metric[1].value  # no training: after == before


def test_m04_temperature_playground_resamples(learner):
    at = open_page(M04, learner[1])
    codes = [c.value for c in at.code]
    at.button(key="m04-resample").click().run()
    assert not at.exception
    assert [c.value for c in at.code] != codes
    assert at.query_params.get("seed") == ["1"] or at.query_params.get("seed") == "1"


def test_m04_guess_game_scores_a_round(learner):
    at = open_page(M04, learner[1])
    prefix, answer = guessing.game_round(0)
    at.text_input(key="m04-guess-0").input(answer).run()
    at.button(key="m04-reveal").click().run()
    assert not at.exception
    assert "Answer:" in all_text(at)
    you = [m for m in at.metric if m.label == "you"][0]
    assert you.value == "1"
    at.button(key="m04-next").click().run()
    assert "m04-guess-1" in [w.key for w in at.text_input]


def test_m04_opens_again_without_error_for_a_returning_learner(learner):
    open_page(M04, learner[1])
    at = open_page(M04, learner[1])  # the warm path: caches filled, the learner known
    assert not at.exception


def _code_values(at) -> list[str]:
    return [c.value for c in at.code]


def test_m04_timelapse_slider_moves_through_the_manifest_snapshots(learner):
    from core.lessons import timelapse
    from core.training import checkpoints

    at = open_page(M04, learner[1])
    assert not at.exception
    iters = [s.iteration for s in timelapse.snapshots_of(checkpoints.entry("warpeace-lstm"))]
    slider = at.select_slider(key="m04-tl-iter")
    assert list(map(int, slider.options)) == iters and int(slider.value) == iters[-1]
    before = _code_values(at)
    at.select_slider(key="m04-tl-iter").set_value(iters[0]).run()
    assert not at.exception
    assert _code_values(at) != before
    assert f"Sample of iteration {iters[0]} at τ = 0.8" in all_text(at)
    at.radio(key="m04-tl-tau").set_value("1.2").run()
    assert f"Sample of iteration {iters[0]} at τ = 1.2" in all_text(at)
    assert "Mostly real words" in all_text(at)


def test_m04_modern_ai_table_and_challenge_levels_are_listed(learner):
    at = open_page(M04, learner[1])
    text = all_text(at)
    assert "The idea underneath" in text and "top_k or top_p" in text
    assert "Beat the character-frequency baseline" in text
    pending = " ".join(i.value for i in at.info if "still to come" in i.value)
    assert "Training timelapse" not in pending and "Perplexity challenge levels" not in pending


def test_m04_challenges_say_plainly_when_the_corpus_is_missing(learner, tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_COURSE_DATA_DIR", str(tmp_path))
    at = open_page(M04, learner[1])
    assert not at.exception
    assert any("tinyshakespeare.txt; not found" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "m04-ch-run"]


def test_m04_challenge_level_1_is_trained_and_judged_on_the_server(learner, db):
    from core.data.corpora import CorpusError, corpus_path

    try:
        corpus_path("tinyshakespeare", download=False)
    except CorpusError:
        import pytest
        pytest.skip("tinyshakespeare.txt is not in the data folder")
    at = open_page(M04, learner[1])
    at.slider(key="m04-ch-seconds-1").set_value(2)
    at.select_slider(key="m04-ch-hidden").set_value(32)
    at.button(key="m04-ch-run").click().run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert "validation perplexity" in labels and "baseline perplexity" in labels
    assert float(labels["baseline perplexity"]) > 1
    saved = db.reflections(learner[0].id, "m04-challenges")
    assert ("m04-challenges", "level-1") in saved
    assert "not tried" in all_text(at) and ("passed ✓" in all_text(at) or "tried, not passed yet" in all_text(at))


def test_m04_lesson_text_is_rendered_from_the_lesson_file(learner):
    from core.course import lessons

    at = open_page(M04, learner[1])
    shown = [m.value for m in at.markdown]
    for name, body in lessons.blocks("m04").items():
        assert any(body in value for value in shown), f"block {name!r} of assets/lessons/m04.md is not on the page"


def test_m04_sections_follow_the_course_outline_in_order(learner):
    from core.course import curriculum

    at = open_page(M04, learner[1])
    assert not at.exception, at.exception
    sections = curriculum.load_course().modules["m04"].sections
    expected = [f"{s.id} {s.title}" for s in sections]
    headers = [h.value for h in at.header]
    assert [h for h in headers if h[:1].isdigit()] == expected


def test_m04_writes_the_formulas_it_teaches(learner):
    at = open_page(M04, learner[1])
    shown = "\n".join(m.value for m in at.markdown)
    for formula in (r"e^{y_i / \tau}", r"L = -\frac{1}{T} \sum_{t=1}^{T} \log p_t(c_{t+1})", r"\mathrm{PPL} = e^{L}",
                    r"\frac{L}{\ln 2}", r"x_t = e_k", r"\prod_{t=1}^{T} p(c_t \mid c_1, \dots, c_{t-1})"):
        assert formula in shown, formula
    for words in ("teacher forcing", "exposure bias", "Beam search", "subword tokens", "one-hot"):
        assert words in shown, words


def test_m04_worked_numbers_in_the_lesson_text_are_recomputed():
    import math

    from core.course import lessons
    from core.lessons import hello

    text = lessons.block("m04", "temperature")
    for tau, shown in ((1.0, "(0.63, 0.23, 0.14)"), (0.5, "(0.84, 0.11, 0.04)"), (2.0, "(0.48, 0.29, 0.23)")):
        z = [math.exp(v / tau) for v in (2.0, 1.0, 0.5)]
        assert "(" + ", ".join(f"{v / sum(z):.2f}" for v in z) + ")" == shown and shown in text
        probs = [math.exp(v) for v in (2.0, 1.0, 0.5)]
        assert [round(p, 2) for p in hello.with_temperature([p / sum(probs) for p in probs], tau)] == \
            [float(v) for v in shown.strip("()").split(", ")]
    ce = lessons.block("m04", "cross-entropy")
    assert f"{-math.log(0.8):.2f}" in ce and f"{-math.log(0.01):.1f}" in ce
    assert f"{math.exp(1.5):.1f} choices" in lessons.block("m04", "perplexity")


def test_m04_decoding_compares_greedy_beam_and_sampling_on_the_best_model(learner):
    from core.lessons import decoding
    from core.training import checkpoints
    from core.ui import models

    at = open_page(M04, learner[1])
    tables = [df.value for df in at.dataframe if "method" in df.value.columns and "log p (nats)" in df.value.columns]
    if not tables:
        import pytest
        pytest.skip("no Shakespeare LSTM shipped")
    table = tables[0]
    assert list(table["method"]) == ["greedy", "beam search, width 3", "sampling at τ = 1", "sampling at τ = 0.7"]
    name = "shakespeare-lstm-best" if "shakespeare-lstm-best" in checkpoints.names() else "shakespeare-lstm"
    model, vocab = models.load_char_model(name)
    greedy = decoding.greedy(model, vocab, "The king ", 60)
    assert table["log p (nats)"][0] == round(greedy.logprob, 2)
    real = checkpoints.entry(name)["metrics"]["val_loss_nats_per_char"]
    assert table["nats per character"][0] < real and table["nats per character"][1] < real  # "too predictable"
    at.slider(key="m04-dec-width").set_value(1).run()
    assert not at.exception, at.exception
    table = [df.value for df in at.dataframe if "log p (nats)" in df.value.columns][0]
    assert table["method"][1] == "greedy" and table["log p (nats)"][1] == table["log p (nats)"][0]

"""Modules 0-3: the main widgets of each lesson page drive real computations and the output follows."""

import pytest

from core.lessons import worked
from tests.app.conftest import all_text, open_page

M02, M03 = "pages/m02_rnn.py", "pages/m03_lstm.py"
M00, M01 = "pages/m00_why_this_matters.py", "pages/m01_sequences.py"


def latex(at) -> list[str]:
    return [el.value for el in at.latex]


def test_m02_worked_example_follows_edited_weights(learner):
    at = open_page(M02, learner[1])
    assert not at.exception, at.exception
    expected = worked.run(worked.TinyRNN())
    assert any(f"{expected[-1].h[0]:+.3f}" in t for t in latex(at))
    at.number_input(key="whh-0-0").set_value(2.0).run()
    rnn = worked.TinyRNN(W_hh=[[2.0, 0.6], [-0.5, 0.1]])
    changed = worked.run(rnn)[-1].h[0]
    assert not at.exception
    assert any(f"{changed:+.3f}" in t for t in latex(at))


def test_m02_hand_calculation_is_checked_against_the_computation(learner):
    at = open_page(M02, learner[1])
    target = worked.run(worked.TinyRNN(), ["cat", "sat"])[1].h
    at.button(key="m02-hand-check").click().run()
    assert at.error and "Not yet" in at.error[0].value
    at.number_input(key="m02-hand-1").set_value(round(target[0], 3))
    at.number_input(key="m02-hand-2").set_value(round(target[1], 3))
    at.button(key="m02-hand-check").click().run()
    assert at.success and "Correct" in at.success[0].value


def test_m02_what_if_zero_matrix_forgets(learner):
    # the explorer computes in the browser (its numbers: tests/ui/test_client_charts_m02.py); here, the W_hh choice
    # reaches the chart, and all zeros has no scale to slide
    at = open_page(M02, learner[1])
    assert "W_hh = scale " in all_text(at) and "scale of W_hh" in all_text(at)
    at.selectbox(key="m02-whh").set_value("zero").run()
    text = all_text(at)
    assert not at.exception and "W_hh = 0" in text and "scale of W_hh" not in text


def test_m02_next_char_game_scores_a_round(learner):
    at = open_page(M02, learner[1])
    if not any("What comes next" in s.value for s in at.subheader):
        pytest.fail("game missing")
    text_keys = [w.key for w in at.text_input if w.key and w.key.startswith("m02-guess")]
    if not text_keys:
        pytest.skip("no trained RNN checkpoint shipped")
    at.text_input(key=text_keys[0]).set_value("e").run()
    at.button(key="m02-reveal").click().run()
    assert not at.exception, at.exception
    assert any("real next character" in m.value for m in at.markdown)
    at.button(key="m02-next").click().run()
    assert any("Round 2" in m.value for m in at.markdown)


def metric(at, label_part: str) -> str:
    return [m.value for m in at.metric if label_part in m.label][0]


def test_m03_gradient_flow_follows_the_sliders(learner):
    at = open_page(M03, learner[1])
    assert not at.exception, at.exception
    caption = [c.value for c in at.caption if "at distance" in c.value][0]
    at.slider(key="m03-scale").set_value(3.0).run()
    at.slider(key="m03-steps").set_value(20).run()
    assert not at.exception
    changed = [c.value for c in at.caption if "at distance" in c.value][0]
    assert changed != caption and "distance 20" in changed


def test_m03_telephone_game_reports_both_models(learner):
    at = open_page(M03, learner[1])
    at.radio(key="m03-tel-source").set_value("random").run()
    assert not at.exception
    assert len([m for m in at.metric if "influence of step 1" in m.label]) == 2


@pytest.mark.slow
def test_m03_trained_gradient_flow_uses_the_shipped_models(learner):
    at = open_page(M03, learner[1])
    at.radio(key="m03-source").set_value("trained").run()
    assert not at.exception, at.exception
    assert any("Trained weights" in c.value for c in at.caption)


def test_m03_predict_then_reveal_shows_the_real_lowest_forget_gate(learner):
    at = open_page(M03, learner[1])
    if not any("Predict, then reveal" in s.value for s in at.subheader):
        pytest.fail("section missing")
    if at.text_input(key="m03-but-text") is None:
        pytest.skip("no trained LSTM shipped")
    at.toggle(key="m03-but-reveal").set_value(True).run()
    assert not at.exception, at.exception
    shown = [m.value for m in at.success] + [m.value for m in at.info]
    assert any("Lowest average forget gate" in v for v in shown)


def test_m00_timeline_and_jargon_translator_follow_the_learner(learner):
    at = open_page(M00, learner[1])
    assert not at.exception, at.exception
    assert any("char-rnn" in c.value or "Karpathy" in c.value for c in at.caption)
    at.selectbox(key="m00-milestone").set_value("lstm").run()
    assert any("Hochreiter" in c.value for c in at.caption)
    at.radio(key="m00-audience").set_value("An engineering lead").run()
    assert "constant memory" in at.info[0].value or any("constant memory" in i.value for i in at.info)
    at.text_input(key="m00-jargon").set_value("hidden state").run()
    assert any(e.label == "Hidden state" for e in at.expander)


def test_m01_spot_the_sequence_scores_points(learner):
    from core.lessons import sequences

    at = open_page(M01, learner[1])
    assert not at.exception, at.exception
    assert len(at.tabs) >= 5
    first = sequences.scenarios()[0]
    at.radio(key="m01-spot-seq-0").set_value("yes" if first.sequence else "no")
    at.selectbox(key="m01-spot-pattern-0").set_value(first.pattern)
    at.button(key="m01-spot-check").click().run()
    assert not at.exception, at.exception
    assert any(m.value == f"3 / {3 * len(sequences.scenarios())}" for m in at.metric)
    at.button(key="m01-spot-next").click().run()
    assert any("Scenario 2" in m.value for m in at.markdown)


def test_m02_speed_round_awards_the_badge_and_saves_it(learner, db):
    from core.assessment import speed

    record, token = learner
    at = open_page(M02, token)
    at.button(key="m02-speed-start").click().run()
    for k, q in enumerate(speed.questions(1)):
        at.radio(key=f"m02-speed-1-{k}").set_value(q.answer)
    at.button(key="m02-speed-submit").click().run()
    assert not at.exception, at.exception
    assert any("Badge earned" in s.value for s in at.success)
    assert db.best_quiz_scores(record.id)["m02-speed-badge"] == 1.0


def test_m03_debug_the_lstm_reveals_real_diagnostics(learner):
    at = open_page(M03, learner[1])
    if not any("Debug the LSTM" in s.value for s in at.subheader):
        pytest.fail("section missing")
    if at.radio(key="m03-debug-guess") is None:
        pytest.skip("debug pair not shipped")
    assert not any("average forget gate" in m.label for m in at.metric)
    at.radio(key="m03-debug-guess").set_value("Model A").run()
    assert not at.exception, at.exception
    gates = {m.label: float(m.value) for m in at.metric if "average forget gate" in m.label}
    assert gates["Model A: average forget gate"] < gates["Model B: average forget gate"]
    assert at.success and "Model A" in at.success[0].value


def test_m01_discussion_notes_are_saved(learner, db):
    record, token = learner
    at = open_page(M01, token)
    at.text_area(key="m01-discuss-notes").set_value("Ops logs are many-to-one.").run()
    at.button(key="m01-discuss-save").click().run()
    assert not at.exception, at.exception
    assert db.reflections(record.id, "m01-discuss") == {("m01-discuss", "notes"): "Ops logs are many-to-one."}


def test_m02_same_word_gets_a_different_state_in_a_new_position(learner):
    at = open_page(M02, learner[1])
    at.text_input(key="m02-seq").set_value("cat cat").run()
    steps = worked.run(worked.TinyRNN(), ["cat", "cat"])
    assert steps[0].h != steps[1].h
    shown = latex(at)
    assert any(f"{steps[1].h[0]:+.3f}" in t for t in shown) and any(f"{steps[0].h[0]:+.3f}" in t for t in shown)


def test_m03_writes_every_lstm_and_gru_equation_and_the_new_sections(learner):
    from core.course import lessons

    at = open_page(M03, learner[1])
    assert not at.exception, at.exception
    shown = "\n".join(m.value for m in at.markdown)
    for block in ("lstm-build", "lstm-cell-state", "lstm-forget", "lstm-input", "lstm-output", "gru-equations",
                  "gru-vs-lstm", "equal-budget-intro", "equal-budget-reading"):
        assert lessons.block("m03", block) in shown, block
    for formula in (r"f_t = \sigma", r"i_t = \sigma", r"o_t = \sigma", r"g_t = \tanh", r"c_t = f_t \odot c_{t-1}",
                    r"h_t = o_t \odot \tanh(c_t)", r"z_t = \sigma", r"r_t = \sigma",
                    r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}", r"P_{\text{GRU}} = 3"):
        assert formula in shown, formula
    headers = [h.value for h in at.header]
    assert headers[:3] == ["3.1 Why gradients vanish or explode", "3.2 Inside the LSTM: cell state and gates",
                           "3.3 Why LSTMs work better"]


def test_m03_parameter_table_is_counted_from_the_cells(learner):
    from core.lessons import cell_sizes

    at = open_page(M03, learner[1])
    table = [df.value for df in at.dataframe if "counted in the cell" in df.value.columns][0]
    assert list(table["counted in the cell"]) == [cell_sizes.counted_params(k, 64, 256) for k in ("rnn", "gru", "lstm")]


def test_m03_gru_gradient_flow_shows_three_cells_and_follows_the_length(learner):
    at = open_page(M03, learner[1])
    caption = [c.value for c in at.caption if "GRU:" in c.value and "at distance" in c.value][0]
    assert "vanilla RNN:" in caption and "LSTM:" in caption and "distance 50" in caption
    at.slider(key="m03-gru-steps").set_value(20).run()
    assert not at.exception, at.exception
    assert any("GRU:" in c.value and "distance 20" in c.value for c in at.caption)


@pytest.mark.slow
def test_m03_gru_gradient_flow_on_the_trained_trio(learner):
    at = open_page(M03, learner[1])
    at.radio(key="m03-gru-source").set_value("trained").run()
    assert not at.exception, at.exception
    assert any("shakespeare-rnn, -lstm and -gru" in c.value for c in at.caption)


def test_m03_equal_budget_table_and_reading_come_from_the_manifest(learner):
    from core.lessons import equal_budget

    runs = equal_budget.load()
    if len(runs) < 3:
        pytest.skip("the equal-budget trio is not shipped")
    at = open_page(M03, learner[1])
    table = [df.value for df in at.dataframe if "perplexity vs RNN" in df.value.columns][0]
    rows = table.set_index("model")
    for r in runs:
        assert rows.loc[r.label, "updates"] == r.steps and rows.loc[r.label, "perplexity"] == r.perplexity
    assert rows.loc["GRU", "perplexity vs RNN"] == "-4.1%" and rows.loc["LSTM", "perplexity vs RNN"] == "+10.6%"
    reading = [m.value for m in at.markdown if "At the end of the budget" in m.value][0]
    assert "4.1% lower" in reading and "10.6% higher" in reading and "3.3× as many updates" in reading
    assert "(1,250)" in reading
    at.radio(key="m03-eb-axis").set_value("updates").run()
    at.radio(key="m03-eb-log").set_value("gradient norm").run()
    assert not at.exception, at.exception


def test_m02_unrolled_view_draws_the_chain_and_the_real_backward_path(learner):
    from core.lessons import unrolling
    from core.ui.lessons import rnn_demos

    at = open_page(M02, learner[1])
    assert not at.exception, at.exception
    assert any(s.value == "Unrolling through time" for s in at.subheader)
    if rnn_demos.available("rnn") is None:
        pytest.skip("no trained RNN checkpoint shipped")
    dots = [g.proto.spec for g in at.get("graphviz_chart")]
    assert len(dots) == 2 and "W_hh" in dots[0]
    chain = dots[1]
    assert all(f"x{t}" in chain and f"h{t}" in chain and f"y{t}" in chain for t in range(1, 6))
    from core.training import checkpoints
    from core.ui import models

    model, vocab = models.load_char_model("shakespeare-rnn")
    ref = unrolling.trace_back(model, vocab, "ROMEO")
    assert f'label="{ref.input_grad[0]:.2g}"' in chain and f'label="{ref.state_grad[0]:.2g}"' in chain
    table = [df.value for df in at.dataframe if "y_t (top guess)" in df.value.columns][0]
    assert list(table["x_t"]) == list("ROMEO")
    assert checkpoints.entry("shakespeare-rnn")["kind"] == "rnn"
    at.toggle(key="m02-unroll-back").set_value(False).run()
    assert "dashed" not in [g.proto.spec for g in at.get("graphviz_chart")][1]
    at.text_input(key="m02-unroll-text").input("the q").run()
    assert not at.exception, at.exception
    table = [df.value for df in at.dataframe if "y_t (top guess)" in df.value.columns][0]
    assert list(table["x_t"]) == ["t", "h", "e", "␣", "q"]
    guess = table["y_t (top guess)"].iloc[-1]  # the lesson says the model is nearly certain of "u"
    assert guess.startswith("u (") and float(guess[3:-2]) > 90

import random

import pytest

from core.data import tasks
from core.training import checkpoints
from core.training import ntm as ntm_training
from tests.app.conftest import all_text, open_page

M07 = "pages/m07_attention.py"
NTM_SHIPPED = ntm_training.RECIPE in checkpoints.names(model_type=ntm_training.MODEL_TYPE)


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_m07_heatmap_follows_the_text_and_the_selected_step(learner):
    at = open_page(M07, learner[1])
    assert not at.exception
    assert "Model output:** `2024-03-14`" in _markdown(at)
    before = _markdown(at)
    at.slider(key="m07-viz-slider").set_value(4).run()
    assert not at.exception
    assert "Output step 4 wrote" in _markdown(at) and _markdown(at) != before
    at.text_input(key="m07-viz-text").input("12/25/1999").run()
    assert not at.exception
    assert "Model output:** `1999-12-25`" in _markdown(at)
    memo = tasks.long_example(random.Random(5), 300, "test")
    at.text_input(key="m07-viz-text").input(memo.source).run()
    assert not at.exception
    assert f"Model output:** `{memo.target}`" in _markdown(at)
    at.text_input(key="m07-viz-text").input("Q3 report - Sept figures due Oct. 5, 2021").run()
    assert not at.exception
    assert not any("Model output:**" in m for m in _markdown(at).splitlines())
    assert any("Not sure" in w.value and "`2021-10-05 2021-10-05`" in w.value for w in at.warning)
    at.text_input(key="m07-viz-text").input("   ").run()
    assert not at.exception
    assert "Type a date" in all_text(at)


def test_m07_debugging_challenge_reveals_the_measurement(learner, db):
    at = open_page(M07, learner[1])
    at.selectbox(key="m07-dbg-case").set_value(1).run()
    at.radio(key="m07-dbg-answer-1").set_value("misread").run()
    at.button(key="m07-dbg-reveal").click().run()
    assert not at.exception
    assert "Measured diagnosis" in all_text(at)
    assert db.reflections(learner[0].id, "m07-debugging") == {("m07-debugging", "case-1"): "misread"}
    for i in range(len(at.selectbox(key="m07-dbg-case").options)):  # every shipped case renders and reveals
        at.selectbox(key="m07-dbg-case").set_value(i).run()
        at.radio(key=f"m07-dbg-answer-{i}").set_value("spread").run()
        at.button(key="m07-dbg-reveal").click().run()
        assert not at.exception and "Measured diagnosis" in all_text(at)
        assert not at.warning, [w.value for w in at.warning]


@pytest.mark.skipif(not NTM_SHIPPED, reason="ntm-copy checkpoint not trained")
def test_m07_ntm_memory_size_changes_the_copy(learner):
    at = open_page(M07, learner[1])
    at.slider(key="m07-ntm-len").set_value(10).run()
    wrong = [m for m in at.metric if m.label == "wrong bits in the copy"][0].value
    at.slider(key="m07-ntm-slots").set_value(3).run()
    assert not at.exception
    assert [m for m in at.metric if m.label == "vectors / memory slots"][0].value == "10 / 3"
    assert [m for m in at.metric if m.label == "wrong bits in the copy"][0].value != wrong


def test_m07_opens_again_without_error_for_a_returning_learner(learner):
    open_page(M07, learner[1])
    at = open_page(M07, learner[1])  # the warm path: caches filled, the learner known
    assert not at.exception


def test_heatmap_spec_holds_every_weight_in_order():
    from core.training import seq2seq as seq2seq_training
    from core.ui.lessons import attention

    model, _ = seq2seq_training.load("dates-attention")
    tr = seq2seq_training.translate(model, "Paid on 3/9/21, due 14 Feb 1987.")
    spec = attention.heatmap(tr, "t", pickable=True)
    values = spec["data"]["values"]
    assert len(values) == len(tr.output_tokens) * len(tr.source_tokens)
    assert spec["encoding"]["x"]["sort"][0] == "1: P" and len(spec["encoding"]["y"]["sort"]) == len(tr.output_tokens)
    for t in range(len(tr.output_tokens)):
        assert sum(v["weight"] for v in values if v["step"] == t) == pytest.approx(1.0, abs=1e-3)
    assert spec["params"][0]["name"] == "pick"


CAPTIONER = "captioner" in checkpoints.names(model_type=None)


@pytest.mark.skipif(not CAPTIONER, reason="captioner checkpoint (Module 6) not trained")
def test_m07_image_attention_demo_is_placed_and_counted_as_built(learner):
    at = open_page(M07, learner[1])
    assert "Image attention: where the captioner looks for each word" in [s.value for s in at.subheader]
    assert not [i for i in at.info if "still to come" in i.value]  # every planned element of m07 is built
    at.number_input(key="m07-img-att-draw").set_value(3).run()
    assert not at.exception
    assert "(draw 3)" in _markdown(at)

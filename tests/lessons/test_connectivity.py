"""The connectivity view's gradients against finite differences, and what the positions mean."""

import numpy as np
import pytest
import torch

from core.data.corpora import Vocab
from core.lessons import connectivity
from core.models import inference
from core.models.charlm import CharLM, CharLMConfig, torch_twin

VOCAB = Vocab.from_text("abcd \n")
TEXT = "ab cd\nbad cab da"


def tiny(kind: str, seed: int = 0) -> CharLM:
    """A freshly initialised two-layer char model in float64 (so central differences are accurate)."""
    torch.manual_seed(seed)
    model = CharLM(CharLMConfig(kind=kind, vocab_size=len(VOCAB), hidden=6, layers=2, embed=4)).double().eval()
    with torch.no_grad():  # larger recurrent weights than the default init, so distant steps still matter
        for cell in model.cells:
            cell.W_hh.weight.mul_(2.0)
    return inference.prepare(model, torch.device("cpu"))


def reference_log_prob(model: CharLM, x: torch.Tensor, next_id: int) -> float:
    """log P(next_id) after the input vectors x (T, E), stepping our from-primitives cells one character at a time
    (the view itself runs torch's fused layers, so this is a second implementation, not the same code)."""
    with torch.no_grad():
        state = [tuple(s.double() for s in cell.init_state(1)) for cell in model.cells]
        for x_t in x:
            inp = x_t[None]  # (1, E)
            for layer, cell in enumerate(model.cells):
                state[layer] = cell(inp, state[layer])
                inp = state[layer][0]  # (1, H)
        return float(torch.log_softmax(model.head(inp)[0], -1)[next_id])


def finite_difference_norms(model: CharLM, text: str, target: int, wrt: str, eps: float = 1e-6) -> np.ndarray:
    """‖∂ log P(text[target]) / ∂ input_t‖ by central differences, one input direction at a time."""
    ids = VOCAB.encode(text)
    E = model.embed.weight.detach()
    x0 = E[torch.tensor(ids[:target])].clone()  # (target, D)
    directions = torch.eye(E.shape[1], dtype=E.dtype) if wrt == "embedding" else E  # one-hot e_v moves x_t by E[v]
    norms = np.zeros(len(text))
    for t in range(target):
        grad = []
        for d in directions:
            up, down = x0.clone(), x0.clone()
            up[t] += eps * d
            down[t] -= eps * d
            grad.append((reference_log_prob(model, up, ids[target]) - reference_log_prob(model, down, ids[target]))
                        / (2 * eps))
        norms[t] = np.linalg.norm(grad)
    return norms


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("wrt", ["embedding", "onehot"])
def test_gradient_norms_match_finite_differences(kind, wrt):
    model = tiny(kind)
    target = 11
    result = connectivity.connectivity(model, VOCAB, TEXT, target=target, wrt=wrt)
    reference = finite_difference_norms(model, TEXT, target, wrt)
    assert result.norms[:target].min() > 1e-8  # every earlier character has some say in a random model
    np.testing.assert_allclose(result.norms, reference, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_log_prob_and_guesses_are_those_of_the_models_own_forward_pass(kind):
    model = tiny(kind)
    result = connectivity.connectivity(model, VOCAB, TEXT, target=7, top_k=6)
    with torch.no_grad():
        state = tuple(tuple(s.double() for s in layer) for layer in model.init_state(1))
        logits, _, _ = model(torch.tensor([VOCAB.encode(TEXT)]), state)
    logp = torch.log_softmax(logits[0, 6], -1)  # output 6 predicts character 7
    assert result.log_prob == pytest.approx(float(logp[VOCAB.encode(TEXT[7])[0]]), abs=1e-12)
    assert [c for c, _ in result.top] == [VOCAB.chars[i] for i in torch.argsort(logp, descending=True)]
    assert sum(p for _, p in result.top) == pytest.approx(1.0)


def test_positions_from_the_target_on_are_zero_and_the_future_is_ignored():
    model = tiny("lstm")
    result = connectivity.connectivity(model, VOCAB, TEXT, target=5)
    assert result.norms.shape == (len(TEXT),) and result.target == 5
    assert (result.norms[5:] == 0).all() and (result.norms[:5] > 0).all()
    assert list(result.distances) == [5, 4, 3, 2, 1]
    np.testing.assert_array_equal(result.by_distance(), result.norms[:5][::-1])
    rows = connectivity.rows(result, "m")
    assert [r["distance"] for r in rows] == [5, 4, 3, 2, 1] and [r["char"] for r in rows] == list(TEXT[:5])
    changed = TEXT[:6] + "dddddddddd"  # what comes after the predicted character changes nothing
    np.testing.assert_array_equal(connectivity.connectivity(model, VOCAB, changed, target=5).norms[:6],
                                  result.norms[:6])


def test_the_target_defaults_to_the_last_character_and_counts_from_the_end_when_negative():
    model = tiny("gru")
    last = connectivity.connectivity(model, VOCAB, TEXT)
    assert last.target == len(TEXT) - 1 and (last.norms[:-1] > 0).all() and last.norms[-1] == 0
    np.testing.assert_array_equal(connectivity.connectivity(model, VOCAB, TEXT, target=-1).norms, last.norms)
    assert connectivity.connectivity(model, VOCAB, TEXT, target=-3).target == len(TEXT) - 3


def test_bad_requests_are_refused_with_a_reason():
    model = tiny("rnn")
    with pytest.raises(ValueError, match="at most 10"):
        connectivity.connectivity(model, VOCAB, TEXT, max_chars=10)
    with pytest.raises(ValueError, match="at least 2"):
        connectivity.connectivity(model, VOCAB, "a")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        connectivity.connectivity(model, VOCAB, "abz")
    for target in (0, len(TEXT), -len(TEXT)):
        with pytest.raises(ValueError, match="position from 1"):
            connectivity.connectivity(model, VOCAB, TEXT, target=target)
    with pytest.raises(ValueError, match="wrt"):
        connectivity.connectivity(model, VOCAB, TEXT, wrt="weights")
    assert connectivity.clean_text("a z\tb", VOCAB) == ("a b", ["z", "\t"])


def test_the_torch_backend_gives_the_same_norms_and_the_shared_weights_stay_untouched():
    model = tiny("lstm")
    twin = inference.prepare(torch_twin(model).double(), torch.device("cpu"))
    with inference.inference():  # a page may call it inside the inference-mode block the demos use
        ours = connectivity.connectivity(model, VOCAB, TEXT)
    theirs = connectivity.connectivity(twin, VOCAB, TEXT)
    np.testing.assert_allclose(ours.norms, theirs.norms, rtol=1e-9)
    assert all(not p.requires_grad and p.grad is None for p in model.parameters())


def test_reach_share_and_heat_summarise_the_norms():
    norms = np.array([1e-6, 1e-3, 1e-2, 0.5, 1.0, 0.0])  # target 5: distances 5, 4, 3, 2, 1
    result = connectivity.Connectivity("abcdef", 5, norms, -1.0, [], 0.0, "embedding")
    assert connectivity.reach(result, 0.01) == 3 and connectivity.reach(result, 1e-3) == 4
    assert connectivity.share_beyond(result, 3) == pytest.approx((1e-3 + 1e-6) / norms.sum())
    np.testing.assert_allclose(connectivity.heat(result, decades=4), [0, 0.25, 0.5, 1 - np.log10(2) / 4, 1, 0])


def test_survey_summarises_many_predictions():
    model = tiny("rnn")
    passages = [TEXT * 12, TEXT[::-1] * 12]  # 192 characters each
    out = connectivity.survey(model, VOCAB, passages, targets=range(170, 190, 10))
    assert out["predictions"] == 4 and 1 <= out["reach_1pct"] <= 190
    assert out["relative_at"][1] <= 1.0 and set(out["relative_at"]) == set(connectivity.SURVEY_DISTANCES)
    assert 0 <= out["share_beyond_30"] <= out["share_beyond_10"] <= 1

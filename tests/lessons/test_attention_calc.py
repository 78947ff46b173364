"""The attention weight calculator against torch's softmax and scaled_dot_product_attention."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.lessons import attention_calc


def _torch_reference(q, K, V, scaled):
    q_t, k_t, v_t = (torch.tensor(np.asarray(a, dtype=np.float64)) for a in (q, K, V))
    scale = 1 / math.sqrt(q_t.shape[-1]) if scaled else 1.0
    out = F.scaled_dot_product_attention(q_t[None, None, :], k_t[None], v_t[None], scale=scale)  # (1, 1, d_v)
    weights = torch.softmax(k_t @ q_t * scale, dim=-1)
    return out[0, 0].numpy(), weights.numpy()


@pytest.mark.parametrize("scaled", [False, True])
def test_worked_example_matches_torch_scaled_dot_product_attention(scaled):
    q, K, V = attention_calc.EXAMPLE_QUERY, attention_calc.EXAMPLE_KEYS, attention_calc.EXAMPLE_VALUES
    res = attention_calc.attend(q, K, V, scaled=scaled)
    context, weights = _torch_reference(q, K, V, scaled)
    np.testing.assert_allclose(res.scores, [0.26, 0.29, 0.33], atol=1e-12)  # q . k by hand
    np.testing.assert_allclose(res.weights, weights, atol=1e-12)
    np.testing.assert_allclose(res.context, context, atol=1e-12)
    assert res.scale == pytest.approx(1 / math.sqrt(2) if scaled else 1.0)


@pytest.mark.parametrize("seed", range(5))
def test_random_shapes_match_torch(seed):
    rng = np.random.default_rng(seed)
    n, d, dv = rng.integers(1, 9), rng.integers(1, 6), rng.integers(1, 5)
    q, K, V = rng.normal(size=d) * 3, rng.normal(size=(n, d)) * 3, rng.normal(size=(n, dv))
    for scaled in (False, True):
        res = attention_calc.attend(q, K, V, scaled=scaled)
        context, weights = _torch_reference(q, K, V, scaled)
        np.testing.assert_allclose(res.weights, weights, atol=1e-10)
        np.testing.assert_allclose(res.context, context, atol=1e-10)
        assert sum(res.weights) == pytest.approx(1.0)


def test_values_default_to_the_keys():
    res = attention_calc.attend([1.0, 0.0], [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(res.context, np.asarray(res.weights) @ np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_huge_scores_do_not_overflow():
    res = attention_calc.attend([1000.0, 1000.0], [[1000.0, 1000.0], [-1000.0, 0.0]])
    assert np.isfinite(res.weights).all() and res.weights[0] == pytest.approx(1.0)


@pytest.mark.parametrize("query, keys, values, message", [
    ([1.0, float("nan")], [[1.0, 2.0]], None, "NaN"),
    ([1.0, 2.0], [[1.0, None]], None, "empty cells"),
    ([1.0, 2.0], [[1.0, 2.0, 3.0]], None, "must match"),
    ([1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]], [[1.0]], "every key needs one value"),
    ([1.0, 2.0], [], None, "non-empty"),
    ([1.0, 2.0], [["a", 2.0]], None, "number"),
    ([1e9, 2.0], [[1.0, 2.0]], None, "between"),
])
def test_bad_input_gets_a_clear_message(query, keys, values, message):
    with pytest.raises(ValueError, match=message):
        attention_calc.attend(query, keys, values)


def test_entropy_is_zero_for_one_key_and_log2_n_for_even_weights():
    assert attention_calc.entropy_bits([1.0, 0.0, 0.0]) == pytest.approx(0.0)
    assert attention_calc.entropy_bits([0.25] * 4) == pytest.approx(2.0)


def test_max_entropy_is_the_entropy_of_even_weights():
    for n in (1, 2, 3, 7):
        assert attention_calc.max_entropy_bits(n) == pytest.approx(attention_calc.entropy_bits([1 / n] * n))


def test_top_positions_are_the_largest_weights_largest_first():
    weights = [0.05, 0.4, 0.1, 0.3, 0.15]
    assert attention_calc.top_positions(weights, 3) == [1, 3, 4]
    assert attention_calc.top_positions(weights, 10) == [1, 3, 4, 2, 0]
    assert all(isinstance(i, int) for i in attention_calc.top_positions(weights))

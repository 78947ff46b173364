"""core.metrics holds the course's one softmax-with-temperature and entropy; every other place that reshapes a
distribution by temperature (the torch sampler, the hello toy, the cheat sheets, the attention calculator) agrees
with it, and it agrees with an independent reference (torch.softmax in float64)."""

import numpy as np
import pytest
import torch

from core import metrics
from core.course import cheatsheets
from core.lessons import attention_calc, hello
from core.models import sampling

rng = np.random.default_rng(0)
LOGITS = [rng.normal(0, 3, size=n) for n in (2, 5, 65)]


@pytest.mark.parametrize("tau", [0.05, 0.3, 0.7, 1.0, 1.5, 3.0, 10.0])
@pytest.mark.parametrize("logits", LOGITS, ids=lambda z: f"V{len(z)}")
def test_softmax_with_temperature_matches_torch_in_float64(logits, tau):
    want = torch.softmax(torch.tensor(logits, dtype=torch.float64) / tau, dim=-1).numpy()
    np.testing.assert_allclose(metrics.softmax_with_temperature(logits, tau), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("tau", [0.3, 1.0, 2.5])
def test_every_temperature_implementation_agrees_with_the_reference(tau):
    z = LOGITS[1]
    ref = metrics.softmax_with_temperature(z, tau)
    np.testing.assert_allclose(sampling._probs(torch.tensor(z, dtype=torch.float64), tau, None).numpy(), ref,
                               rtol=1e-12)
    p1 = metrics.softmax_with_temperature(z, 1.0)
    np.testing.assert_allclose(hello.with_temperature(list(p1), tau), ref, rtol=1e-9)
    assert cheatsheets.softmax_with_temperature is metrics.softmax_with_temperature


def test_temperature_keeps_impossible_outcomes_impossible_and_rejects_bad_values():
    assert hello.with_temperature([0.5, 0.5, 0.0], 0.5)[2] == 0.0
    for bad in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            metrics.softmax_with_temperature([1.0, 2.0], bad)


def test_entropy_bits_is_zero_for_certainty_and_log2_n_for_even():
    assert metrics.entropy_bits([1.0, 0.0]) == 0.0
    assert metrics.entropy_bits([0.25] * 4) == pytest.approx(2.0)
    assert attention_calc.entropy_bits([0.5, 0.5]) == pytest.approx(1.0)

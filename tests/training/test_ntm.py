"""The Neural Turing Machine: addressing against a NumPy transcription of the paper's equations, the copy task,
memory-size independence, checkpoint round trip, and the shipped checkpoint's metrics re-measured."""

import numpy as np
import pytest
import torch

from core.models.ntm import NTM, NTMConfig, address
from core.training import checkpoints
from core.training import ntm as ntm_training

torch.set_num_threads(1)


def _numpy_address(memory, w_prev, key, beta, g, shift, gamma):
    """Graves et al. 2014, eqs. 5-9, one head, one example, written out loop by loop."""
    N = memory.shape[0]
    sim = np.array([memory[i] @ key / max(np.linalg.norm(memory[i]) * np.linalg.norm(key), 1e-8)
                    for i in range(N)])
    w_c = np.exp(beta * sim) / np.exp(beta * sim).sum()
    w_g = g * w_c + (1 - g) * w_prev
    half = len(shift) // 2
    w_s = np.array([sum(w_g[(i - j) % N] * shift[j + half] for j in range(-half, half + 1)) for i in range(N)])
    w = w_s ** gamma
    return w / w.sum()


@pytest.mark.parametrize("seed", range(4))
def test_addressing_matches_the_paper_equations(seed):
    rng = np.random.default_rng(seed)
    N, M = 7, 5
    memory, key = rng.normal(size=(N, M)), rng.normal(size=M)
    w_prev = rng.dirichlet(np.ones(N))
    beta, g, gamma = rng.uniform(0, 5), rng.uniform(), rng.uniform(1, 3)
    shift = rng.dirichlet(np.ones(3))
    t = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))  # noqa: E731
    got = address(t(memory[None]), t(w_prev[None]), t(key[None]), t([[beta]]), t([[g]]), t(shift[None]),
                  t([[gamma]]))
    np.testing.assert_allclose(got[0].numpy(), _numpy_address(memory, w_prev, key, beta, g, shift, gamma),
                               atol=1e-9)


def test_a_pure_shift_moves_the_head_one_slot_and_wraps_round():
    w_prev = torch.tensor([[0.0, 0.0, 0.0, 1.0]], dtype=torch.float64)
    w = address(torch.rand(1, 4, 3, dtype=torch.float64), w_prev, torch.rand(1, 3, dtype=torch.float64),
                torch.tensor([[1.0]]), torch.tensor([[0.0]]), torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[1.0]]))
    assert w[0].tolist() == pytest.approx([1.0, 0.0, 0.0, 0.0])


def test_copy_batch_layout():
    x, target = ntm_training.copy_batch(3, 4, 6, torch.Generator().manual_seed(0))
    assert x.shape == (3, 9, 7) and target.shape == (3, 4, 6)
    assert torch.equal(x[:, :4, :6], target)
    assert x[:, 4, 6].eq(1).all() and x[:, 4, :6].eq(0).all() and x[:, 5:].eq(0).all()
    assert x[:, :4, 6].eq(0).all()
    with pytest.raises(ValueError):
        ntm_training.copy_batch(1, 0, 6, torch.Generator())


def test_bit_errors_counts_wrong_bits_per_sequence():
    target = torch.tensor([[[1.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]])
    probs = torch.tensor([[[0.9, 0.2], [0.4, 0.6]], [[0.6, 0.7], [0.1, 0.2]]])
    assert ntm_training.bit_errors(probs, target).tolist() == [1.0, 2.0]


def test_the_same_weights_run_with_any_memory_size():
    model = NTM(NTMConfig(hidden=16, memory_width=4)).eval()
    x, _ = ntm_training.copy_batch(2, 3, 6, torch.Generator().manual_seed(1))
    for n in (2, 5, 40):
        trace = model(x, n)
        assert trace.read_weights.shape == (2, 7, n) and trace.memory.shape == (2, n, 4)
        assert torch.allclose(trace.write_weights.sum(-1), torch.ones(2, 7), atol=1e-5)
        assert ((trace.outputs >= 0) & (trace.outputs <= 1)).all()


def test_training_lowers_the_loss_and_honours_should_stop():
    torch.manual_seed(0)
    model = NTM(NTMConfig(hidden=32, memory_width=8))
    cfg = ntm_training.NTMTrainConfig(max_len=3, batch=16, max_steps=150, eval_every=0, cpu_budget_s=120)
    hist = ntm_training.train(model, cfg)
    assert sum(hist["loss"][-20:]) / 20 < sum(hist["loss"][:20]) / 20 - 0.05
    calls = []
    hist = ntm_training.train(model, cfg, should_stop=lambda: calls.append(1) or len(calls) > 3)
    assert hist["stopped"] == "should_stop" and len(hist["step"]) == 3


def test_checkpoint_round_trip(tmp_path):
    model = NTM(NTMConfig(hidden=8, memory_width=4)).eval()
    facts = ntm_training.save_file(tmp_path / "tiny.pt", model)
    checkpoints.register("tiny", {"model_type": "ntm", "config": model.cfg.to_dict(), **facts}, tmp_path)
    loaded, _ = ntm_training.load("tiny", tmp_path)
    x, _ = ntm_training.copy_batch(1, 3, 6, torch.Generator().manual_seed(2))
    assert torch.allclose(loaded(x).outputs, model.half().float()(x).outputs, atol=1e-6)
    (tmp_path / "tiny.pt").write_bytes(b"broken")
    with pytest.raises(checkpoints.CheckpointError):
        ntm_training.load("tiny", tmp_path)


SHIPPED = ntm_training.RECIPE in checkpoints.names(model_type=ntm_training.MODEL_TYPE)


@pytest.mark.skipif(not SHIPPED, reason="ntm-copy checkpoint not trained")
def test_shipped_checkpoint_reproduces_its_manifest_metrics():
    model, entry = ntm_training.load()
    assert entry["bytes"] < 3 * 2**20
    assert {"metrics", "recipe", "hardware", "produced_at", "curve"} <= set(entry)
    stored = entry["metrics"]["bit_errors_by_memory_slots"]
    for slots in ("20", "4"):
        lengths = (2, 10)
        got = ntm_training.evaluate(model, lengths=lengths, memory_slots=int(slots))
        for length in lengths:
            assert got[str(length)] == pytest.approx(stored[slots][str(length)], abs=0.02)


@pytest.mark.skipif(not SHIPPED, reason="ntm-copy checkpoint not trained")
def test_copy_demo_shapes_match_the_request():
    model, _ = ntm_training.load()
    run = ntm_training.copy_demo(model, 5, 9, seed=3)
    assert len(run.inputs) == 5 and len(run.outputs) == 5 and len(run.outputs[0]) == model.cfg.bits
    assert len(run.read_weights) == 11 and len(run.read_weights[0]) == 9
    assert 0 <= run.wrong_bits <= 5 * model.cfg.bits

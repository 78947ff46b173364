"""Device choice and the torch thread setting."""

import pytest
import torch

from core.models import inference


def test_choose_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv(inference.DEVICE_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(inference, "_mps_available", lambda: False)
    assert inference.choose_device().type == "cpu"
    monkeypatch.setattr(inference, "_mps_available", lambda: True)
    assert inference.choose_device().type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert inference.choose_device().type == "cuda"


def test_choose_device_honours_the_environment_and_refuses_missing_hardware(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv(inference.DEVICE_ENV, "cpu")
    assert inference.choose_device().type == "cpu"
    monkeypatch.setenv(inference.DEVICE_ENV, "cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        inference.choose_device()


def test_thread_count_parses_and_validates(monkeypatch):
    monkeypatch.delenv(inference.THREADS_ENV, raising=False)
    assert inference.thread_count() == inference.DEFAULT_THREADS
    assert inference.thread_count("1") == 1
    monkeypatch.setenv(inference.THREADS_ENV, "1")
    assert inference.thread_count() == 1
    assert inference.thread_count(10_000) <= (__import__("os").cpu_count() or 1)
    for bad in ("0", "-2", "two", ""):
        with pytest.raises(ValueError, match="positive integer"):
            inference.thread_count(bad)


def test_prepare_freezes_the_model_for_sharing():
    model = torch.nn.Linear(2, 2).train()
    shared = inference.prepare(model, torch.device("cpu"))
    assert not shared.training and not any(p.requires_grad for p in shared.parameters())
    with inference.inference():
        assert torch.is_inference_mode_enabled()

"""The sandbox fixture: one Sandbox per test module, installed as the grader's, with a secret in the environment
that no child may see."""

import os

import pytest

from core.labs import grader, sandbox
from tests.labs.sandbox_kit import SECRET


@pytest.fixture(scope="module")
def sb():
    os.environ[SECRET] = "hunter2"  # set before the fork-server starts: it must not reach any child
    box = sandbox.Sandbox()
    old, grader._sandbox = grader._sandbox, box
    yield box
    grader._sandbox = old
    box.close()
    del os.environ[SECRET]

"""What a code lab is (starter, reference, hidden tests, hints, an optional predict-first question) and the checks
that turn a returned value into a readable verdict: what was expected, what came back, and a likely cause."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.labs.grader import Test

Alternatives = Sequence[tuple[Any, str]]  # (what a typical mistake would return, what to say when it matches)


@dataclass(frozen=True)
class Predict:
    """Answer one small case before the tests unlock; a wrong choice shows the hint for that misconception."""

    question: str
    options: tuple[str, ...]
    answer: int
    feedback: dict[int, str]


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    entry: str  # the function the tests call
    params: tuple[str, ...]
    prompt: str  # Markdown: the task, the shapes and any stated rule
    starter: str
    solution: str  # shown only when the learner asks, after an honest attempt
    hints: tuple[str, ...]
    make_tests: Callable[..., list[Test]]  # (seed, **options) -> hidden tests; runs on the server only
    error_hints: tuple[tuple[str, str], ...] = ()  # (text in an exception message, what it usually means)
    predict: Predict | None = None
    difficulty: int = 2
    total_wall_s: float | None = None  # one run, every test together (None: grader.Limits' default)

    def tests(self, seed: int = 0, **options: Any) -> list[Test]:
        return self.make_tests(seed, **options)


def source(*functions: Callable, header: str = "import numpy as np\n") -> str:
    """The reference solution as shown to the learner: the very functions the server checks against."""
    return header + "".join("\n\n" + inspect.getsource(fn) for fn in functions)


def kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if value is None:
        return "None (is there a `return` at the end?)"
    if isinstance(value, list | tuple | dict):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def as_array(name: str, value: Any) -> tuple[np.ndarray | None, str | None]:
    if isinstance(value, np.ndarray):
        return value, None
    if isinstance(value, list | tuple) and value:
        try:
            return np.asarray(value, dtype=np.float64), None
        except (ValueError, TypeError):
            pass
    return None, f"{name} should be a NumPy array, but the function returned {kind(value)}"


def compare(name: str, got: Any, expected: np.ndarray, *, atol: float = 1e-6, rtol: float = 1e-5,
            shape_hints: dict[tuple, str] | None = None, alternatives: Alternatives = (),
            nan_hint: str = "") -> str | None:
    """None if `got` matches `expected`; else one sentence saying what differs and, if known, why."""
    arr, problem = as_array(name, got)
    if problem:
        return problem
    if arr.shape != expected.shape:
        message = f"{name} has shape {arr.shape}; expected {expected.shape}"
        hint = (shape_hints or {}).get(arr.shape)
        if hint is None and arr.ndim == 2 and arr.shape == expected.shape[::-1]:
            hint = "is something transposed?"
        return message + (f": {hint}" if hint else "")
    if expected.dtype.kind == "f" and arr.dtype.kind not in "fc":
        return (f"{name} has dtype {arr.dtype}; expected floating point. An array made with an integer dtype "
                "rounds every value you store in it")
    if not np.all(np.isfinite(arr)):
        return f"{name} contains NaN or infinity" + (f": {nan_hint}" if nan_hint else "")
    if np.allclose(arr, expected, atol=atol, rtol=rtol):
        return None
    for alt, why in alternatives:
        alt = np.asarray(alt)
        if alt.shape == arr.shape and np.allclose(arr, alt, atol=atol, rtol=rtol):
            return f"{name} has the wrong values: {why}"
    diff = np.abs(arr.astype(np.float64) - expected)
    at = np.unravel_index(int(np.argmax(diff)), diff.shape)
    where = f"at index {tuple(int(i) for i in at)} " if arr.ndim else ""
    return f"{name} has the wrong values: {where}it is {float(arr[at]):.5g}, expected {float(expected[at]):.5g}"


def compare_scalar(name: str, got: Any, expected: float, *, tol: float = 1e-6,
                   alternatives: Sequence[tuple[float, str]] = (), array_hint: str = "") -> str | None:
    if isinstance(got, np.ndarray) and got.size == 1 and got.ndim <= 1:
        got = float(got.reshape(()))
    if isinstance(got, np.ndarray):
        return f"{name} should be a single number, but the function returned an array of shape {got.shape}" + (
            f": {array_hint}" if array_hint else "")
    if isinstance(got, bool) or not isinstance(got, int | float):
        return f"{name} should be a number, but the function returned {kind(got)}"
    if not math.isfinite(got):
        return f"{name} is {got}, not a finite number"
    if math.isclose(got, expected, rel_tol=tol, abs_tol=tol):
        return None
    for alt, why in alternatives:
        if math.isclose(got, alt, rel_tol=tol, abs_tol=tol):
            return f"{name} is {got:.5g}; expected {expected:.5g}: {why}"
    return f"{name} is {got:.5g}; expected {expected:.5g}"


def unpack(name: str, value: Any, parts: Sequence[str]) -> tuple[tuple | None, str | None]:
    """Check a returned tuple like (context, weights) before its parts are compared."""
    if not isinstance(value, tuple | list) or len(value) != len(parts):
        return None, f"the function should return a tuple ({', '.join(parts)}), but it returned {kind(value)}"
    return tuple(value), None


def first_problem(*problems: str | None) -> str | None:
    return next((p for p in problems if p), None)


def rand(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, scale, size=shape)


def softmax(z: np.ndarray) -> np.ndarray:
    """The server's own stable softmax along the last axis (used to build expected values)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))

"""The sandbox's wire format: values as JSON, arrays as dtype + shape + base64 bytes; never pickles.

The server encodes test inputs with `encode_input`; whatever comes back from the child goes through
`decode_output`, which accepts only the exact shapes of this format and raises ProtocolError on anything else.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

DTYPES = frozenset(np.dtype(t).str for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"))


@dataclass(frozen=True)
class Rng:
    """Ask the child for `np.random.default_rng(seed)` as an argument."""

    seed: int


@dataclass(frozen=True)
class Unsupported:
    """The learner returned something the protocol does not carry (an object, a subclass, a huge array)."""

    type: str


class ProtocolError(ValueError):
    pass


def encode_input(value: Any) -> dict:
    if isinstance(value, Rng):
        return {"t": "rng", "seed": int(value.seed)}
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool | np.bool_):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, int | np.integer):
        return {"t": "int", "v": int(value)}
    if isinstance(value, float | np.floating):
        return {"t": "float", "v": float(value).hex()}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype.str not in DTYPES:
            raise TypeError(f"cannot send arrays of dtype {arr.dtype}")
        return {"t": "array", "dtype": arr.dtype.str, "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode("ascii")}
    if isinstance(value, list | tuple):
        return {"t": type(value).__name__, "v": [encode_input(v) for v in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": {str(k): encode_input(v) for k, v in value.items()}}
    raise TypeError(f"cannot send {type(value).__name__}")


def wire_size(value: Any) -> tuple[int, int]:
    """(bytes, items) that `value` takes on the wire, estimated without encoding it: what the server expects back
    from a right answer, so it can refuse far larger replies before parsing them."""
    if isinstance(value, np.ndarray):
        return 80 + 12 * value.ndim + 4 * math.ceil(value.nbytes / 3), 1
    if isinstance(value, list | tuple | dict):
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        size, count = 16, 1
        for key, v in items:
            b, n = wire_size(v)
            size, count = size + b + 2 + (len(key) + 4 if key is not None else 0), count + n
        return size, count
    if isinstance(value, str):
        return 20 + 6 * len(value), 1
    return 48, 1  # a number, a bool, None


def decode_output(obj: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """Strictly decode one value from the child; anything unexpected raises ProtocolError. `budget` is
    [items, bytes of array data] left for this value (the grader sets it from the expected answer)."""
    budget = [200_000, 64 << 20] if budget is None else budget
    if depth > 8 or type(obj) is not dict:
        raise ProtocolError("malformed value")
    t, keys = obj.get("t"), set(obj)
    budget[0] -= 1
    if budget[0] < 0:
        raise ProtocolError("too many values")
    if t == "none" and keys == {"t"}:
        return None
    if t == "bool" and keys == {"t", "v"} and type(obj["v"]) is bool:
        return obj["v"]
    if t == "int" and keys == {"t", "v"} and type(obj["v"]) is int and -(1 << 63) <= obj["v"] < (1 << 64):
        return obj["v"]
    if t == "float" and keys == {"t", "v"} and type(obj["v"]) is str and len(obj["v"]) < 40:
        try:
            return float.fromhex(obj["v"])
        except ValueError:
            raise ProtocolError("malformed float") from None
    if t == "str" and keys == {"t", "v"} and type(obj["v"]) is str and len(obj["v"]) <= 2000:
        return obj["v"]
    if t == "unsupported" and keys == {"t", "type"} and type(obj["type"]) is str:
        return Unsupported(obj["type"][:80])
    if t == "array" and keys == {"t", "dtype", "shape", "data"}:
        return _decode_array(obj, budget)
    if t in ("list", "tuple") and keys == {"t", "v"} and type(obj["v"]) is list:
        items = [decode_output(v, depth + 1, budget) for v in obj["v"]]
        return items if t == "list" else tuple(items)
    if t == "dict" and keys == {"t", "v"} and type(obj["v"]) is dict and len(obj["v"]) <= 200:
        if not all(type(k) is str and len(k) <= 100 for k in obj["v"]):
            raise ProtocolError("malformed dict")
        return {k: decode_output(v, depth + 1, budget) for k, v in obj["v"].items()}
    raise ProtocolError(f"unexpected value of kind {str(t)[:20]!r}")


def _decode_array(obj: dict, budget: list[int]) -> np.ndarray:
    dtype, shape, data = obj["dtype"], obj["shape"], obj["data"]
    if type(dtype) is not str or dtype not in DTYPES or type(data) is not str:
        raise ProtocolError("array with an unsupported dtype")
    if type(shape) is not list or len(shape) > 8 or not all(type(n) is int and 0 <= n < 1 << 31 for n in shape):
        raise ProtocolError("array with a malformed shape")
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    budget[1] -= nbytes
    if budget[1] < 0 or len(data) != 4 * math.ceil(nbytes / 3):
        raise ProtocolError("array data does not match its shape")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("array data is not valid base64") from None
    if len(raw) != nbytes:
        raise ProtocolError("array data does not match its shape")
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()

"""A tiny Python stand-in for what the browser does with a client-side chart: parse Vega expressions (the subset our
charts use, with JavaScript's number semantics) and run a Vega-Lite spec's data through its transforms (sequence,
calculate, filter, fold, joinaggregate, window), so a test can compare the numbers a chart will show with the
server-side reference on a grid of slider values."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

# Every function the expression language of Vega offers that our charts may use (vega-expression's list); anything
# else in a spec is an error here, exactly as it would be in the browser.
CONSTANTS = {"PI": math.pi, "E": math.e, "LN2": math.log(2), "LN10": math.log(10), "LOG2E": 1 / math.log(2),
             "LOG10E": 1 / math.log(10), "SQRT2": math.sqrt(2), "SQRT1_2": math.sqrt(0.5), "NaN": math.nan}


def _num(x) -> float:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, float)):
        return float(x)
    if x is None:
        return 0.0
    try:
        return float(str(x).strip() or 0)
    except ValueError:
        return math.nan


def _exp(x):
    x = _num(x)
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(x):
    x = _num(x)
    if x == 0:
        return -math.inf
    if x < 0 or math.isnan(x):
        return math.nan
    return math.inf if math.isinf(x) else math.log(x)


def _pow(a, b):
    a, b = _num(a), _num(b)
    try:
        return math.pow(a, b)
    except ZeroDivisionError:
        return math.inf
    except (OverflowError, ValueError):
        if a < 0 and not float(b).is_integer():
            return math.nan
        return math.inf if abs(a) > 1 or b < 0 else 0.0


def _div(a, b):
    a, b = _num(a), _num(b)
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1, b)
    return a / b


def d3_format(value, spec: str) -> str:
    """d3-format for the specifiers our charts use (.Nf, .N%, .Ne, optional ',' and '+'), with its U+2212 minus."""
    m = re.fullmatch(r"(\+)?(,)?\.(\d+)([f%eg])", spec)
    if m is None:
        raise ValueError(f"format specifier {spec!r} is not in the subset this evaluator knows")
    sign, comma, digits, kind = m.groups()
    x = _num(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return ("−" if x < 0 else "") + "Infinity"
    if kind == "%":
        x *= 100
    body = _js_precision(abs(x), int(digits)) if kind == "g" else _js_fixed(abs(x), int(digits), kind == "e")
    if comma:
        whole, dot, frac = body.partition(".")
        body = f"{int(whole):,}" + dot + frac
    # d3 hides the sign of a negative value that rounds to zero, unless '+' asks for a sign: then it is '−0.0'
    negative = x < 0 and (sign is not None or float(body.replace(",", "").split("e")[0]) != 0)
    out = ("−" if negative else "+" if sign else "") + body
    return out + ("%" if kind == "%" else "")


def _js_fixed(x: float, digits: int, exponent: bool) -> str:
    """Number.prototype.toFixed / toExponential: the exact binary value rounded, a tie going up (Python's format
    rounds a tie to even: 0.125 -> '0.12', JavaScript -> '0.13')."""
    d = Decimal(x)
    if not exponent:
        return str(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    if d == 0:
        return f"{0:.{digits}f}e+0"
    e = d.adjusted()
    mant = (d.scaleb(-e)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if mant >= 10:
        e, mant = e + 1, (d.scaleb(-e - 1)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{mant}e{'-' if e < 0 else '+'}{abs(e)}"


def _js_precision(x: float, digits: int) -> str:
    """Number.prototype.toPrecision: exponential when the exponent is below -6 or at least `digits`."""
    if x == 0:
        return _js_fixed(0.0, digits - 1, False)
    mant = _js_fixed(x, digits - 1, True)
    e = int(mant.partition("e")[2])
    if e < -6 or e >= digits:
        return mant
    return _js_fixed(x, digits - 1 - e, False)


FUNCTIONS: dict[str, Callable] = {
    "exp": _exp, "log": _log, "pow": _pow, "sqrt": lambda x: math.sqrt(_num(x)) if _num(x) >= 0 else math.nan,
    "abs": lambda x: abs(_num(x)), "max": lambda *a: max(_num(v) for v in a), "min": lambda *a: min(_num(v) for v in a),
    "floor": lambda x: float(math.floor(_num(x))), "ceil": lambda x: float(math.ceil(_num(x))),
    "round": lambda x: float(math.floor(_num(x) + 0.5)), "isFinite": lambda x: math.isfinite(_num(x)),
    "isNaN": lambda x: math.isnan(_num(x)), "toNumber": _num, "clamp": lambda x, lo, hi: max(_num(lo), min(_num(hi),
                                                                                                        _num(x))),
    "format": d3_format, "toString": lambda x: _js_str(x),
}


def _js_str(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 1e21:
            return str(int(x))
        return repr(x)
    return str(x)


def _truthy(x) -> bool:
    if isinstance(x, float) and math.isnan(x):
        return False
    return bool(x)


TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
                   r"|([A-Za-z_$][\w$]*)|(===|!==|==|!=|<=|>=|&&|\|\||[-+*/%<>!?:(),.\[\]]))")

BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "===": 3, "!==": 3, "<": 4, ">": 4, "<=": 4, ">=": 4,
          "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


def _tokens(src: str) -> list[tuple[str, object]]:
    out, pos = [], 0
    while pos < len(src):
        if src[pos:].strip() == "":
            break
        m = TOKEN.match(src, pos)
        if m is None:
            raise SyntaxError(f"cannot read {src[pos:]!r} in {src!r}")
        num, string, name, op = m.groups()
        if num is not None:
            out.append(("num", float(num)))
        elif string is not None:
            out.append(("str", string[1:-1]))
        elif name is not None:
            out.append(("name", name))
        else:
            out.append(("op", op))
        pos = m.end()
    out.append(("end", None))
    return out


class _Parser:
    """Precedence climbing over the tokens; builds nested closures env -> value."""

    def __init__(self, src: str) -> None:
        self.src, self.toks, self.i = src, _tokens(src), 0

    def peek(self):
        return self.toks[self.i]

    def take(self, op: str | None = None):
        tok = self.toks[self.i]
        if op is not None and tok != ("op", op):
            raise SyntaxError(f"expected {op!r} at token {self.i} of {self.src!r}, got {tok!r}")
        self.i += 1
        return tok

    def parse(self):
        fn = self.ternary()
        if self.peek()[0] != "end":
            raise SyntaxError(f"unexpected {self.peek()!r} in {self.src!r}")
        return fn

    def ternary(self):
        cond = self.binary(1)
        if self.peek() == ("op", "?"):
            self.take()
            yes = self.ternary()
            self.take(":")
            no = self.ternary()
            return lambda env: yes(env) if _truthy(cond(env)) else no(env)
        return cond

    def binary(self, level: int):
        left = self.unary()
        while True:
            kind, op = self.peek()
            if kind != "op" or op not in BINARY or BINARY[op] < level:
                return left
            self.take()
            right = self.binary(BINARY[op] + 1)
            left = _binop(op, left, right)

    def unary(self):
        kind, op = self.peek()
        if kind == "op" and op in "-+!":
            self.take()
            inner = self.unary()
            if op == "-":
                return lambda env: -_num(inner(env))
            if op == "+":
                return lambda env: _num(inner(env))
            return lambda env: not _truthy(inner(env))
        return self.postfix()

    def postfix(self):
        node = self.primary()
        while True:
            if self.peek() == ("op", "."):
                self.take()
                _, field = self.take()
                node = _member(node, lambda env, f=field: f)
            elif self.peek() == ("op", "["):
                self.take()
                key = self.ternary()
                self.take("]")
                node = _member(node, key)
            else:
                return node

    def primary(self):
        kind, value = self.take()
        if kind == "num" or kind == "str":
            return lambda env, v=value: v
        if kind == "op" and value == "(":
            inner = self.ternary()
            self.take(")")
            return inner
        if kind == "name":
            if self.peek() == ("op", "("):
                self.take()
                args = []
                while self.peek() != ("op", ")"):
                    args.append(self.ternary())
                    if self.peek() == ("op", ","):
                        self.take()
                self.take(")")
                if value not in FUNCTIONS:
                    raise NameError(f"{value}() is not a function this evaluator (or our subset of Vega) knows")
                fn = FUNCTIONS[value]
                return lambda env: fn(*(a(env) for a in args))
            if value in ("true", "false"):
                return lambda env, v=value == "true": v
            if value in CONSTANTS:
                return lambda env, v=CONSTANTS[value]: v
            return lambda env, n=value: env[n]
        raise SyntaxError(f"unexpected {value!r} in {self.src!r}")


def _member(obj, key):
    def get(env):
        o, k = obj(env), key(env)
        return o.get(k) if isinstance(o, dict) else o[int(k)]
    return get


def _binop(op: str, a, b):
    def plus(env):
        x, y = a(env), b(env)
        if isinstance(x, str) or isinstance(y, str):
            return _js_str(x) + _js_str(y)
        return _num(x) + _num(y)

    ops = {
        "+": plus,
        "-": lambda env: _num(a(env)) - _num(b(env)),
        "*": lambda env: _num(a(env)) * _num(b(env)),
        "/": lambda env: _div(a(env), b(env)),
        "%": lambda env: math.fmod(_num(a(env)), _num(b(env))),
        "<": lambda env: _num(a(env)) < _num(b(env)),
        ">": lambda env: _num(a(env)) > _num(b(env)),
        "<=": lambda env: _num(a(env)) <= _num(b(env)),
        ">=": lambda env: _num(a(env)) >= _num(b(env)),
        "==": lambda env: a(env) == b(env), "===": lambda env: a(env) == b(env),
        "!=": lambda env: a(env) != b(env), "!==": lambda env: a(env) != b(env),
        "&&": lambda env: (lambda x: b(env) if _truthy(x) else x)(a(env)),
        "||": lambda env: (lambda x: x if _truthy(x) else b(env))(a(env)),
    }
    return ops[op]


def compile_expr(src: str) -> Callable[[dict], object]:
    return _Parser(src).parse()


def evaluate(src: str, params: dict, datum: dict | None = None):
    return compile_expr(src)({**params, "datum": datum or {}})


# ---------------------------------------------------------------- the data pipeline of a Vega-Lite spec
def param_defaults(spec: dict) -> dict:
    """{name: initial value} of every top-level parameter with a value (the bound inputs)."""
    return {p["name"]: p["value"] for p in spec.get("params", []) if "value" in p}


def bindings(spec: dict) -> dict[str, dict]:
    return {p["name"]: p["bind"] for p in spec.get("params", []) if "bind" in p}


def _source(data: dict, spec: dict, root: dict) -> list[dict]:
    if "values" in data:
        return [dict(r) for r in data["values"]]
    if "name" in data:
        return [dict(r) for r in root.get("datasets", {})[data["name"]]]
    if "sequence" in data:
        s = data["sequence"]
        start, stop, step = float(s["start"]), float(s["stop"]), float(s.get("step", 1))
        n = max(0, math.ceil((stop - start) / step))
        return [{s.get("as", "data"): start + k * step} for k in range(n)]
    raise ValueError(f"unsupported data {data!r}")


def _field(datum: dict, name: str):
    return datum.get(name)


def _aggregate(op: str, values: list):
    nums = [_num(v) for v in values if v is not None]
    if op == "sum":  # left to right, as JavaScript adds (Python's sum() compensates since 3.12)
        total = 0.0
        for v in nums:
            total += v
        return total
    if op == "max":
        return max(nums) if nums else None
    if op == "min":
        return min(nums) if nums else None
    if op == "count":
        return float(len(values))
    if op == "mean":
        return _aggregate("sum", nums) / len(nums) if nums else None
    raise ValueError(f"aggregate op {op!r} is not supported here")


def _groups(rows: list[dict], groupby: list[str]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        out.setdefault(tuple(r.get(g) for g in groupby), []).append(r)
    return out


def _transform(rows: list[dict], t: dict, params: dict) -> list[dict]:
    if "calculate" in t:
        fn = compile_expr(t["calculate"])
        for r in rows:
            r[t["as"]] = fn({**params, "datum": r})
        return rows
    if "filter" in t:
        if not isinstance(t["filter"], str):
            raise ValueError(f"only expression filters are supported here: {t['filter']!r}")
        fn = compile_expr(t["filter"])
        return [r for r in rows if _truthy(fn({**params, "datum": r}))]
    if "fold" in t:
        key, value = t.get("as", ["key", "value"])
        return [{**r, key: f, value: r.get(f)} for r in rows for f in t["fold"]]
    if "joinaggregate" in t:
        for group in _groups(rows, t.get("groupby", [])).values():
            for agg in t["joinaggregate"]:
                v = _aggregate(agg["op"], [_field(r, agg.get("field", "")) for r in group])
                for r in group:
                    r[agg["as"]] = v
        return rows
    if "window" in t:
        sort = t.get("sort", [])
        frame = t.get("frame", [None, 0])
        for group in _groups(rows, t.get("groupby", [])).values():
            ordered = list(group)
            for s in reversed(sort):
                ordered.sort(key=lambda r, f=s["field"]: _num(r.get(f)), reverse=s.get("order") == "descending")
            for k, r in enumerate(ordered):
                for w in t["window"]:
                    if w["op"] == "row_number":
                        r[w["as"]] = float(k + 1)
                    elif w["op"] == "rank":  # ties share the rank of the first
                        keys = [tuple(_num(x.get(s["field"])) for s in sort) for x in ordered]
                        r[w["as"]] = float(keys.index(keys[k]) + 1)
                    elif frame == [None, 0] or frame == [None, None]:
                        window = ordered[:k + 1] if frame[1] == 0 else ordered
                        r[w["as"]] = _aggregate(w["op"], [x.get(w["field"]) for x in window])
                    else:
                        raise ValueError(f"window frame {frame!r} is not supported here")
        return rows
    raise ValueError(f"transform {t!r} is not supported here")


def run(spec: dict, params: dict | None = None, layer: int | None = None, root: dict | None = None,
        rows: list[dict] | None = None) -> list[dict]:
    """The rows a (single or layered) view ends with after its transforms, for parameter values `params` (missing
    ones take the spec's initial values). For a layered spec, pass `layer` to follow the parent's data and
    transforms into that layer."""
    root = root or spec
    values = {**param_defaults(root), **(params or {})}
    if "data" in spec:
        rows = _source(spec["data"], spec, root)
    if rows is None and (layer is None or spec.get("transform")):
        raise ValueError("no data for this view")
    for t in spec.get("transform", []):
        rows = _transform(rows, t, values)
    if layer is not None:
        return run(spec["layer"][layer], values, root=root, rows=None if rows is None else [dict(r) for r in rows])
    return rows


def expressions(spec: object) -> list[str]:
    """Every expression string in a spec (calculate, filter, expr), so a test can check each one parses."""
    found: list[str] = []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k in ("calculate", "expr") and isinstance(v, str):
                found.append(v)
            elif k == "filter" and isinstance(v, str):
                found.append(v)
            else:
                found += expressions(v)
    elif isinstance(spec, list):
        for v in spec:
            found += expressions(v)
    return found

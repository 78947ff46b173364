"""Module 8 decision aids from assets/decision_trees.yaml: the "Should I use an RNN?" flowchart and the
build-vs-buy tree (load, validate, walk), the build-vs-buy cost arithmetic, and the architecture selection
exercise (scenarios, grading).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from core import settings

TREES_FILE = settings.ASSETS / "decision_trees.yaml"


class TreeError(ValueError):
    """The decision-tree file is malformed; the message names the tree and node."""


@dataclass(frozen=True)
class Option:
    label: str
    next: str
    why: str


@dataclass(frozen=True)
class Node:
    id: str
    question: str = ""  # question nodes
    options: tuple[Option, ...] = ()
    recommendation: str = ""  # leaves
    reasoning: str = ""
    caveat: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.options


@dataclass(frozen=True)
class Tree:
    id: str
    title: str
    intro: str
    start: str
    nodes: dict[str, Node]

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]


@dataclass(frozen=True)
class Step:
    question: str
    answer: str
    why: str


@dataclass(frozen=True)
class Walk:
    steps: tuple[Step, ...]  # questions answered so far, in order, with the reasoning each answer adds
    node: Node  # the next question, or the leaf reached

    @property
    def finished(self) -> bool:
        return self.node.is_leaf


def _node(tree_id: str, node_id: str, raw: dict) -> Node:
    where = f"tree {tree_id!r}, node {node_id!r}"
    if not isinstance(raw, dict):
        raise TreeError(f"{where}: must be a mapping.")
    if "options" in raw:
        opts = raw["options"]
        if not isinstance(opts, list) or len(opts) < 2:
            raise TreeError(f"{where}: a question needs at least two options.")
        options = []
        for o in opts:
            if not all(str(o.get(k, "")).strip() for k in ("label", "next", "why")):
                raise TreeError(f"{where}: every option needs 'label', 'next' and 'why'.")
            options.append(Option(str(o["label"]).strip(), str(o["next"]).strip(), str(o["why"]).strip()))
        if len({o.label for o in options}) != len(options):
            raise TreeError(f"{where}: option labels must differ.")
        if not str(raw.get("question", "")).strip():
            raise TreeError(f"{where}: a node with options needs a 'question'.")
        return Node(node_id, question=str(raw["question"]).strip(), options=tuple(options))
    if not str(raw.get("recommendation", "")).strip() or not str(raw.get("reasoning", "")).strip():
        raise TreeError(f"{where}: a leaf needs 'recommendation' and 'reasoning' (a question needs 'options').")
    return Node(node_id, recommendation=str(raw["recommendation"]).strip(), reasoning=str(raw["reasoning"]).strip(),
                caveat=str(raw.get("caveat", "")).strip())


def parse_tree(tree_id: str, raw: dict) -> Tree:
    """A validated tree: every option points to a node, no cycles, every node reachable, every path ends in a leaf."""
    if not isinstance(raw, dict) or not isinstance(raw.get("nodes"), dict):
        raise TreeError(f"tree {tree_id!r}: needs 'nodes'.")
    nodes = {str(k): _node(tree_id, str(k), v) for k, v in raw["nodes"].items()}
    start = str(raw.get("start", ""))
    if start not in nodes:
        raise TreeError(f"tree {tree_id!r}: start node {start!r} does not exist.")
    for node in nodes.values():
        for o in node.options:
            if o.next not in nodes:
                raise TreeError(f"tree {tree_id!r}, node {node.id!r}: option {o.label!r} leads to unknown {o.next!r}.")
    state: dict[str, str] = {}  # depth-first search: "open" on the stack, "done" when finished

    def visit(node_id: str, trail: tuple[str, ...]) -> None:
        if state.get(node_id) == "open":
            raise TreeError(f"tree {tree_id!r}: cycle {' -> '.join(trail + (node_id,))}.")
        if state.get(node_id) == "done":
            return
        state[node_id] = "open"
        for o in nodes[node_id].options:
            visit(o.next, trail + (node_id,))
        state[node_id] = "done"

    visit(start, ())
    unreachable = sorted(set(nodes) - set(state))
    if unreachable:
        raise TreeError(f"tree {tree_id!r}: nodes never reached from {start!r}: {unreachable}.")
    return Tree(tree_id, str(raw.get("title", tree_id)), str(raw.get("intro", "")).strip(), start, nodes)


@cache
def load(path: Path = TREES_FILE) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def tree(tree_id: str, path: Path = TREES_FILE) -> Tree:
    raw = load(path).get("trees", {})
    if tree_id not in raw:
        raise TreeError(f"No decision tree {tree_id!r} (known: {', '.join(raw)}).")
    return parse_tree(tree_id, raw[tree_id])


def paths(t: Tree) -> list[list[str]]:
    """Every root-to-leaf path as node ids (finite: trees are checked for cycles)."""
    def from_(node_id: str) -> list[list[str]]:
        node = t.nodes[node_id]
        if node.is_leaf:
            return [[node_id]]
        return [[node_id, *p] for o in node.options for p in from_(o.next)]
    return from_(t.start)


def walk(t: Tree, answers: list[str] | tuple[str, ...]) -> Walk:
    """Follow `answers` (option labels, in order) from the start; stop at the first question not yet answered."""
    node, steps = t.nodes[t.start], []
    for answer in answers:
        if node.is_leaf:
            raise ValueError(f"Too many answers: the tree ended at {node.recommendation!r}.")
        option = next((o for o in node.options if o.label == answer), None)
        if option is None:
            raise ValueError(f"{answer!r} is not an option of {node.question!r}.")
        steps.append(Step(node.question, option.label, option.why))
        node = t.nodes[option.next]
    return Walk(tuple(steps), node)


# ---------------------------------------------------------------- build vs buy: cost arithmetic
@dataclass(frozen=True)
class CostInputs:
    requests_per_month: float
    tokens_per_request: float
    engineer_cost_per_week: float
    months: float


COST_FIELDS = ("dev_weeks", "one_off", "monthly_fixed", "price_per_million_tokens")


def cost_defaults(path: Path = TREES_FILE) -> tuple[CostInputs, list[dict], str]:
    """(volume and rate assumptions, one row per approach, the note saying they are illustrative)."""
    raw = load(path)["costs"]
    return CostInputs(**{k: float(v) for k, v in raw["defaults"].items()}), [dict(a) for a in raw["approaches"]], \
        str(raw["note"])


def cost_rows(inputs: CostInputs, approaches: list[dict]) -> list[dict]:
    """Per approach: build cost = dev weeks x weekly rate + one-off; run cost per month = fixed + usage;
    total over the horizon; cost per 1,000 requests over the horizon. Rejects negative or non-finite inputs."""
    values = [inputs.requests_per_month, inputs.tokens_per_request, inputs.engineer_cost_per_week, inputs.months]
    for a in approaches:
        values += [a.get(f) for f in COST_FIELDS]
    if any(v is None or not isinstance(v, int | float) or not math.isfinite(v) or v < 0 for v in values):
        raise ValueError("Every number must be zero or positive (no blanks).")
    if inputs.months <= 0:
        raise ValueError("The horizon must be at least one month.")
    tokens_per_month = inputs.requests_per_month * inputs.tokens_per_request
    rows = []
    for a in approaches:
        build = a["dev_weeks"] * inputs.engineer_cost_per_week + a["one_off"]
        usage = tokens_per_month / 1e6 * a["price_per_million_tokens"]
        monthly = a["monthly_fixed"] + usage
        total = build + monthly * inputs.months
        requests = inputs.requests_per_month * inputs.months
        rows.append({"approach": a["name"], "build cost": build, "usage per month": usage,
                     "run cost per month": monthly, f"total over {inputs.months:g} months": total,
                     "per 1,000 requests": total / requests * 1000 if requests else math.nan,
                     "time to first version (weeks)": a["dev_weeks"], "quality": a.get("quality", "")})
    return rows


def break_even_requests(fixed_per_month: float, price_per_million_tokens: float, tokens_per_request: float) -> float:
    """Monthly requests above which a fixed monthly cost beats paying per token (inf if usage is free)."""
    per_request = price_per_million_tokens * tokens_per_request / 1e6
    return math.inf if per_request <= 0 else fixed_per_month / per_request


# ---------------------------------------------------------------- architecture selection exercise
@dataclass(frozen=True)
class Scenario:
    id: str
    prompt: str
    answer: str
    acceptable: tuple[str, ...]
    why: dict[str, str]


@cache
def exercise(path: Path = TREES_FILE) -> tuple[dict[str, str], tuple[Scenario, ...]]:
    """(choice key -> label, scenarios); every scenario explains every choice and its answers are known choices."""
    raw = load(path)
    choices = {str(k): str(v) for k, v in raw["choices"].items()}
    out = []
    for s in raw["scenarios"]:
        sc = Scenario(s["id"], s["prompt"].strip(), s["answer"], tuple(s.get("acceptable", ())),
                      {k: v.strip() for k, v in s["why"].items()})
        if {sc.answer, *sc.acceptable} - set(choices) or set(sc.why) != set(choices):
            raise TreeError(f"scenario {sc.id!r}: answers must be known choices and 'why' must cover every choice.")
        out.append(sc)
    return choices, tuple(out)


def grade(scenario: Scenario, choice: str) -> tuple[float, str]:
    """(score: 1 best, 0.5 defensible, 0 not recommended; the explanation for that choice)."""
    if choice not in scenario.why:
        raise ValueError(f"Unknown choice {choice!r}.")
    score = 1.0 if choice == scenario.answer else 0.5 if choice in scenario.acceptable else 0.0
    return score, scenario.why[choice]

"""The training-troubleshooting flowchart (assets/troubleshooting.yaml): a small decision tree, as data."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from core import settings

FLOW_FILE = settings.ASSETS / "troubleshooting.yaml"


@dataclass(frozen=True)
class Node:
    id: str
    text: str
    answers: dict[str, str]  # answer label -> next node id; empty for an action (leaf)

    @property
    def is_action(self) -> bool:
        return not self.answers


@dataclass(frozen=True)
class Flow:
    start: str
    nodes: dict[str, Node]

    def reachable(self) -> set[str]:
        seen, todo = set(), [self.start]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(self.nodes[node].answers.values())
        return seen


def parse(data: dict) -> Flow:
    nodes = {}
    for node_id, raw in data["nodes"].items():
        if ("ask" in raw) == ("do" in raw):
            raise ValueError(f"Node {node_id!r} needs exactly one of 'ask' or 'do'.")
        answers = {str(k): str(v) for k, v in (raw.get("answers") or {}).items()}
        if "ask" in raw and not answers:
            raise ValueError(f"Question {node_id!r} has no answers.")
        nodes[node_id] = Node(node_id, raw.get("ask") or raw["do"], answers)
    flow = Flow(data["start"], nodes)
    for node in nodes.values():
        for target in node.answers.values():
            if target not in nodes:
                raise ValueError(f"Node {node.id!r} points at unknown node {target!r}.")
    unreachable = set(nodes) - flow.reachable()
    if unreachable:
        raise ValueError(f"Unreachable nodes: {sorted(unreachable)}")
    return flow


@cache
def load(path: Path = FLOW_FILE) -> Flow:
    with open(path, encoding="utf-8") as fh:
        return parse(yaml.safe_load(fh))


def to_dot(flow: Flow, width: int = 34) -> str:
    """Graphviz source: questions as diamonds-ish boxes, actions as green boxes."""
    lines = ['digraph troubleshooting {', '  rankdir=TB; bgcolor="transparent"; nodesep=0.4;',
             '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for node in flow.nodes.values():
        label = "\\n".join(textwrap.wrap(node.text.replace('"', "'"), width))
        fill = "#e4f7e4" if node.is_action else "#e2f0fd"
        lines.append(f'  {node.id} [label="{label}", fillcolor="{fill}"];')
    for node in flow.nodes.values():
        for answer, target in node.answers.items():
            lines.append(f'  {node.id} -> {target} [label="{answer}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"

"""Lesson text (assets/lessons/*.md) and every other content or source file: each LaTeX formula parses with a real
LaTeX-to-MathML converter and uses only commands it knows, and no file holds a control character other than a
newline (a Python string "\frac" silently becomes a form feed + "rac": that is how m03's LSTM formulas broke)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import latex2mathml.commands
import latex2mathml.symbols_parser
import pytest
from latex2mathml.converter import convert

from core.course import content, lessons
from core.settings import REPO_ROOT

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
COMMAND = re.compile(r"\\([A-Za-z]+)")


def _known_commands() -> set[str]:
    known: set[str] = set()
    for value in vars(latex2mathml.commands).values():
        items = value if isinstance(value, tuple | list | set | frozenset | dict) else [value]
        known |= {v[1:] for v in items if isinstance(v, str) and v.startswith("\\")}
    known |= {k[1:] for k in latex2mathml.symbols_parser.SYMBOLS if isinstance(k, str) and k.startswith("\\")}
    known |= {"text", "mathrm", "mathbf", "operatorname", "left", "right", "quad", "qquad", "cdot", "ldots"}
    return known


KNOWN = _known_commands()


def latex_problems(latex: str) -> list[str]:
    """What is wrong with one formula: a control character, an unknown command, or a parse error."""
    problems = [f"control character {c!r}" for c in CONTROL.findall(latex)]
    problems += [f"unknown command \\{c}" for c in COMMAND.findall(latex) if c not in KNOWN]
    try:
        convert(latex)
    except Exception as exc:  # noqa: BLE001 - any converter failure is a broken formula
        problems.append(f"does not parse: {type(exc).__name__} {exc}")
    return problems


def _tracked(*suffixes: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO_ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return [REPO_ROOT / f for f in out if f.endswith(suffixes) and (REPO_ROOT / f).is_file()]


LESSON_FILES = sorted(lessons.LESSONS_DIR.glob("*.md"))


def test_every_lesson_file_parses_into_named_blocks():
    assert LESSON_FILES, "assets/lessons/ has no lesson files"
    for path in LESSON_FILES:
        found = lessons.parse(path.read_text(encoding="utf-8"), str(path))
        assert found, f"{path} has no `<!-- block: NAME -->` markers"
        assert all(body.strip() for body in found.values()), f"{path} has an empty block"


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.name)
def test_every_formula_in_the_lesson_text_parses(path):
    bad = []
    for name, body in lessons.parse(path.read_text(encoding="utf-8"), str(path)).items():
        for latex, display in lessons.formulas(body):
            for problem in latex_problems(latex):
                bad.append(f"{path.name} [{name}] {'$$' if display else '$'}{latex[:60]}: {problem}")
    assert not bad, "\n".join(bad)


def test_no_control_characters_in_lesson_text_yaml_or_python_sources():
    bad = []
    for path in _tracked(".md", ".yaml", ".yml", ".py", ".json"):
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in CONTROL.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            bad.append(f"{path.relative_to(REPO_ROOT)}:{line}: control character {m.group()!r}")
    assert not bad, "\n".join(bad[:40])


def test_the_checks_catch_a_python_string_that_lost_its_backslash():
    # What m03 shipped: "\frac" and "\tanh" in a plain Python string are a form feed + "rac" and a TAB + "anh".
    broken = "h_t = o_t \\odot \tanh(c_t), \\quad \frac{1}{2}"  # no r-prefix: \t is a TAB, \f a form feed
    assert latex_problems(broken)
    assert any("control character" in p for p in latex_problems(broken))
    assert not latex_problems(r"h_t = o_t \odot \tanh(c_t), \quad \frac{\partial L}{\partial h_t}")
    assert latex_problems(r"x_{")
    assert latex_problems(r"\notacommand{x}")


def test_a_missing_block_is_reported_with_the_file_and_the_blocks_it_has(tmp_path, monkeypatch):
    monkeypatch.setattr(lessons, "LESSONS_DIR", tmp_path)
    (tmp_path / "zz.md").write_text("<!-- block: intro -->\nHello $x_t$.\n", encoding="utf-8")
    assert lessons.block("zz", "intro") == "Hello $x_t$."
    with pytest.raises(content.ContentError, match="no block 'outro'.*intro"):
        lessons.block("zz", "outro")
    (tmp_path / "dup.md").write_text("<!-- block: a -->\nx\n<!-- block: a -->\ny\n", encoding="utf-8")
    with pytest.raises(content.ContentError, match="appears twice"):
        lessons.blocks("dup")

"""Every page follows the delegating convention (ARCHITECTURE.md): it imports Streamlit and core.ui only, caches
nothing itself and holds no model code; the page's demos live in core/ui/lessons/, its prose in assets/lessons/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.settings import REPO_ROOT

PAGES = sorted((REPO_ROOT / "pages").glob("*.py")) + [REPO_ROOT / "Home.py"]
ALLOWED = ("streamlit", "core.ui")


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            if not any(name == a or name.startswith(a + ".") for a in ALLOWED):
                out.append(f"line {node.lineno}: imports {name}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("cache_"):
            out.append(f"line {node.lineno}: st.{node.attr} (caching belongs in core.ui)")
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            out.append(f"line {node.lineno}: defines {node.name} (pages compose core.ui calls)")
    return out


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_page_imports_only_streamlit_and_core_ui_and_defines_nothing(path):
    assert not violations(path), f"{path.name}:\n" + "\n".join(violations(path))

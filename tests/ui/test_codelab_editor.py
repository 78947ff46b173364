"""The code-lab editor is streamlit-ace's component with st_ace's own arguments plus the Ace options st_ace has no
parameter for (live autocompletion off, so Enter ends a line). The browser side is in
tests/e2e/test_codelab_browser.py (Enter, underscores)."""

import streamlit_ace

from core.ui import codelab


def test_the_editor_sends_what_st_ace_would_plus_the_ace_options(monkeypatch):
    sent = []
    monkeypatch.setattr(streamlit_ace, "_render_component", lambda **kwargs: sent.append(kwargs) or "typed")
    monkeypatch.setattr(codelab, "_register", lambda component: None)  # the stand-in is no component to serve
    streamlit_ace.st_ace(value="x = 1\n", language="python", theme="chrome", min_lines=14,
                         font_size=codelab.FONT_SIZE, tab_size=4, auto_update=True, key="k")
    assert codelab.editor("x = 1\n", key="k") == "typed"
    by_st_ace, ours = sent
    assert ours.pop("setOptions") == codelab.ACE_OPTIONS
    assert ours == by_st_ace, "a newer streamlit-ace changed its arguments: update codelab.editor"


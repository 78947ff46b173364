import pytest

from core.cohort import identity


def test_display_name_is_trimmed_bounded_and_cleaned():
    assert identity.clean_display_name("  Ada   Lovelace ") == "Ada Lovelace"
    assert len(identity.clean_display_name("x" * 10_000)) == identity.NAME_MAX
    assert identity.clean_display_name("A\x00d\u200ba\n") == "Ada"


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", None])
def test_empty_display_name_is_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="display name"):
        identity.clean_display_name(bad)


def test_html_in_a_name_is_kept_as_text_and_escaped_for_markdown():
    name = identity.clean_display_name("<script>alert(1)</script> **bold** [x](javascript:1)")
    shown = identity.escape_markdown(name)
    assert "<" not in shown.replace("\\<", "") and "[" not in shown.replace("\\[", "")
    assert "**" not in shown


def test_cohort_code_is_normalised_or_refused():
    assert identity.clean_cohort_code(" spring-2026 ") == "SPRING-2026"
    assert identity.clean_cohort_code("") is None
    for bad in ("has space", "x" * 30, "<b>"):
        with pytest.raises(ValueError):
            identity.clean_cohort_code(bad)


def test_tokens_are_unique_and_well_formed():
    tokens = {identity.new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(identity.looks_like_token(t) for t in tokens)
    assert not identity.looks_like_token("a b")

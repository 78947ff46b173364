"""core.settings: every RNN_COURSE_* setting the code reads is declared there once, README's table is generated
from it, and bad values get a message that names the variable."""

import re
import subprocess

import pytest

from core import settings
from core.settings import REPO_ROOT


def test_readme_configuration_table_is_generated_from_settings():
    assert settings.markdown_table() in (REPO_ROOT / "README.md").read_text(), (
        "README's configuration table is out of date: paste the output of `python -m core.settings`")


def test_every_rnn_course_variable_in_the_code_is_a_declared_setting():
    out = subprocess.run(["git", "grep", "-ohE", r"RNN_COURSE_[A-Z_]+", "--", "core", "pages", "Home.py", "deploy"],
                         cwd=REPO_ROOT, capture_output=True, text=True).stdout.split()
    assert set(out) <= set(settings.SETTINGS), sorted(set(out) - set(settings.SETTINGS))
    for name in settings.SETTINGS:
        assert re.fullmatch(r"RNN_COURSE_[A-Z_]+", name)


@pytest.mark.parametrize("name, raw, want", [
    ("RNN_COURSE_TORCH_THREADS", "2", 2), ("RNN_COURSE_TRAIN_SECONDS", "30.5", 30.5),
    ("RNN_COURSE_ALLOW_WEAK_SANDBOX", "1", True), ("RNN_COURSE_ALLOW_WEAK_SANDBOX", "off", False),
    ("RNN_COURSE_SANDBOX_MODE", "Fork", "fork"), ("RNN_COURSE_MAX_RUNS", "  ", 5),
])
def test_values_are_read_with_their_type(name, raw, want):
    assert settings.get(name, {name: raw}) == want


@pytest.mark.parametrize("name, raw", [("RNN_COURSE_TORCH_THREADS", "two"), ("RNN_COURSE_TORCH_THREADS", "0"),
                                       ("RNN_COURSE_SANDBOX_MODE", "docker"), ("RNN_COURSE_ALLOW_WEAK_SANDBOX", "y")])
def test_bad_values_name_the_variable(name, raw):
    with pytest.raises(settings.SettingError, match=name):
        settings.get(name, {name: raw})


def test_cpu_quota_is_at_least_one_and_at_most_the_cpu_count():
    import os

    assert 1 <= settings.cpu_quota() <= (os.cpu_count() or 1)

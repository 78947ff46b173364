"""Shared browser fixture: Debian's Chromium driven by Playwright (skipped, with the reason, when absent)."""

import pytest

from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()

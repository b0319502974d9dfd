"""Debian's Chromium driven by Playwright, as STACK.md launches it; screenshots go to test-output/."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "portal"
REQUIRED = os.environ.get("OPENZONE_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"{CHROMIUM} is missing (apt-get install -y chromium) and OPENZONE_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-quic", "--no-first-run"])
        yield launched
        launched.close()


def shoot(page, name: str) -> None:
    """Save a full-page screenshot of the current page as test-output/portal/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

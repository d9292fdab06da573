"""Where the browser tests find Chromium: Debian's package on PATH, never a Playwright download."""
from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SKIP_MESSAGE = "browser tests skipped: no chromium on PATH (install Debian's chromium package)"


def chromium_report_header() -> str:
    """One line for pytest's report header: which Chromium runs the browser tests, or why none does."""
    return f"browser tests: chromium at {CHROMIUM}" if CHROMIUM else SKIP_MESSAGE

"""End-to-end fixtures: the demo project in a real server process, driven by Chromium.

The server is ``manage.py runserver`` in its own process on a free loopback port, with
its own SQLite database seeded by ``seed_demo``; the browser is Debian's ``chromium``
driven by Playwright (no browser download). Screenshots go to ``tests/e2e/screenshots``
(or ``$ESCALATED_SCREENSHOTS``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("ESCALATED_SCREENSHOTS", ROOT / "tests" / "e2e" / "screenshots"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        for item in items:
            if "e2e" in str(item.fspath):
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(data: Path, settings: str) -> Iterator[str]:
    """Migrate, seed and run the project of ``settings`` on a free port; yield its base URL."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)},
        "DJANGO_SETTINGS_MODULE": settings,
        # DEBUG serves the UI bundle from the app's static folder (no collectstatic).
        "DJANGO_DEBUG": "1",
        "ESCALATED_TEST_DB": "sqlite",
        "ESCALATED_SQLITE_PATH": str(data / "e2e.sqlite3"),
        "MEDIA_ROOT": str(data / "media"),
        "PYTHONPATH": str(ROOT),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "-v", "0"], ["seed_demo"]):
        subprocess.run([*manage, *args], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    # A file, not a pipe: nobody reads the request log while the tests run, and a full
    # pipe would block the server.
    log = (data / "server.log").open("w+")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"demo server did not start:\n{log.read()}") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory) -> Iterator[str]:
    """Base URL of the demo project running in a separate process."""
    yield from _serve(tmp_path_factory.mktemp("e2e"), "tests.projects.standalone.settings")


@pytest.fixture(scope="session")
def uuid_live_app(tmp_path_factory) -> Iterator[str]:
    """The same demo, in a host whose user model is keyed by a UUID
    (``tests/projects/uuidhost``)."""
    yield from _serve(tmp_path_factory.mktemp("e2e-uuid"), "tests.projects.uuidhost.settings")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` writes ``<SCREENSHOTS>/name.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

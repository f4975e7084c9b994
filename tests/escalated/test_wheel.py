"""The wheel a host installs: the app, its templates and the prebuilt UI, nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("escalated_django-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_ships_only_the_escalated_package(wheel):
    top = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert top == {"escalated", next(t for t in top if t.endswith(".dist-info"))}
    strays = [
        n for n in wheel.namelist() if "/frontend/" in n or "node_modules" in n or "/tests/" in n
    ]
    assert strays == []


def test_wheel_carries_the_prebuilt_ui_its_templates_and_migrations(wheel):
    names = set(wheel.namelist())
    manifest = json.loads(wheel.read("escalated/static/escalated/manifest.json"))
    files = {chunk["file"] for chunk in manifest.values()}
    files |= {css for chunk in manifest.values() for css in chunk.get("css", ())}
    assert files, "the Vite manifest lists no files"
    missing = sorted(f for f in files if f"escalated/static/escalated/{f}" not in names)
    assert missing == []
    for path in (
        "escalated/py.typed",
        "escalated/templates/escalated/app.html",
        "escalated/templates/escalated/email/base_message.html",
        "escalated/migrations/0001_initial.py",
    ):
        assert path in names
    # every migration of the source tree is in the wheel
    sources = {
        f"escalated/migrations/{p.name}" for p in (ROOT / "escalated/migrations").glob("0*.py")
    }
    assert sources and sources <= names

"""Template tags of Escalated's layout.

``{% escalated_vite_assets %}`` writes the ``<link>``/``<script>`` tags of the prebuilt UI
bundle. Vite's build writes ``manifest.json`` next to the bundle (static path
``escalated/manifest.json``); the tag reads it through ``django.contrib.staticfiles``:

- with ``DEBUG`` on, through the staticfiles *finders* (the app's ``static/`` folder,
  no ``collectstatic`` needed), re-read whenever the file changes (a rebuild shows up
  on the next request);
- with ``DEBUG`` off, through ``staticfiles_storage`` (after ``collectstatic``; works
  with ``ManifestStaticFilesStorage``, S3 … storages), read once per process.

Every URL goes through ``static()``, so ``STATIC_URL``, CDNs and hashed names work.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

#: Where the bundle lives under the static root, and its entry in the manifest.
STATIC_DIR = "escalated"
MANIFEST_PATH = f"{STATIC_DIR}/manifest.json"
ENTRY = "src/app.ts"

_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
_lock = threading.Lock()


class BundleNotFound(ImproperlyConfigured):
    """The UI bundle (its ``manifest.json``) is missing or unreadable."""


def _missing(detail: str) -> BundleNotFound:
    return BundleNotFound(
        f"Escalated's UI bundle was not found: {detail}. The bundle ships inside the "
        f"escalated-django wheel as static/{MANIFEST_PATH}; in a source checkout build it "
        "with `npm --prefix escalated/frontend ci && npm --prefix escalated/frontend run "
        "build`. With DEBUG off run `manage.py collectstatic`. To serve your own build, "
        'set ESCALATED["LAYOUT"] to a template that loads it.'
    )


def _parse(raw: bytes | str, where: str) -> dict[str, Any]:
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise _missing(f"{where} is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise _missing(f"{where} is not a Vite manifest")
    return manifest


def load_manifest() -> dict[str, Any]:
    """The parsed Vite manifest of the bundle (cached; see the module docstring)."""
    if settings.DEBUG:
        path = finders.find(MANIFEST_PATH)
        if not path or not isinstance(path, str):
            raise _missing(f"no static file {MANIFEST_PATH!r} in any staticfiles finder")
        try:
            key: tuple[Any, ...] = ("finders", path, os.stat(path).st_mtime_ns)
        except OSError as exc:
            raise _missing(f"{path} cannot be read ({exc})") from exc
        if key not in _cache:
            with open(path, "rb") as fh, _lock:
                _cache.clear()  # keep only the current version of the file
                _cache[key] = _parse(fh.read(), path)
        return _cache[key]

    key = ("storage",)
    if key not in _cache:
        try:
            with staticfiles_storage.open(MANIFEST_PATH) as fh:
                raw = fh.read()
        except (OSError, ValueError, ImproperlyConfigured) as exc:
            # ValueError: ManifestStaticFilesStorage knows no such file;
            # ImproperlyConfigured: no STATIC_ROOT.
            raise _missing(
                f"static file {MANIFEST_PATH!r} is not in STATIC_ROOT ({exc}); "
                "did collectstatic run?"
            ) from exc
        with _lock:
            _cache[key] = _parse(raw, MANIFEST_PATH)
    return _cache[key]


@receiver(setting_changed)
def _forget_manifest(*, setting: str, **kwargs: Any) -> None:
    """Tests switch static settings with ``override_settings``: drop the cached manifest."""
    if setting in {"DEBUG", "STATIC_ROOT", "STATIC_URL", "STATICFILES_DIRS", "STORAGES"}:
        _cache.clear()


def _chunks(manifest: dict[str, Any], name: str, seen: set[str]) -> Iterator[dict[str, Any]]:
    """The chunk ``name`` and every chunk it statically imports, depth first, once each."""
    if name in seen:
        return
    seen.add(name)
    chunk = manifest.get(name)
    if not isinstance(chunk, dict):
        return
    for imported in chunk.get("imports", []):
        yield from _chunks(manifest, imported, seen)
    yield chunk


def _url(file: str) -> str:
    return static(f"{STATIC_DIR}/{file}")


def vite_asset_tags(manifest: dict[str, Any], entry: str = ENTRY) -> SafeString:
    """``<link rel=stylesheet>``, ``<link rel=modulepreload>`` and ``<script>`` for ``entry``."""
    chunk = manifest.get(entry)
    if not isinstance(chunk, dict) or not chunk.get("file"):
        raise _missing(f"{MANIFEST_PATH} has no entry {entry!r}")
    chunks = list(_chunks(manifest, entry, set()))
    css = list(dict.fromkeys(c for ch in chunks for c in ch.get("css", [])))
    preloads = [ch["file"] for ch in chunks if ch is not chunk and ch.get("file")]
    parts = [
        format_html_join("", '<link rel="stylesheet" href="{}">\n', ((_url(c),) for c in css)),
        format_html_join(
            "", '<link rel="modulepreload" href="{}">\n', ((_url(f),) for f in preloads)
        ),
        format_html('<script type="module" src="{}"></script>', _url(chunk["file"])),
    ]
    return SafeString("".join(parts))


@register.simple_tag
def escalated_vite_assets() -> SafeString:
    """The tags that load Escalated's prebuilt UI (entry ``src/app.ts``)."""
    return vite_asset_tags(load_manifest())

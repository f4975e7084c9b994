"""Inertia rendering for Escalated's pages, independent of the host's ``INERTIA_LAYOUT``.

inertia-django renders a first (non-Inertia) page load into ``settings.INERTIA_LAYOUT``
and raises when it is unset. A reusable app cannot ask its host for that setting (the
host may have its own Inertia pages with their own layout), so Escalated's responses
render into ``ESCALATED["LAYOUT"]`` instead — ``escalated/app.html`` by default, which
loads the UI bundle shipped inside the wheel. Everything else (page JSON, partial
reloads, deferred props, SSR) is inertia-django's own behaviour.

Speed: inertia-django's prop resolver visits every nested dict and list of the props
(to support partial reloads of nested paths), re-reading request headers at each
node — for a page of 25 tickets that is ~15,000 calls, more than the rest of the
request. Props built by :mod:`escalated.props` are final JSON already, so the views
wrap them in :class:`Resolved`: the resolver passes them through and our JSON encoder
unwraps them. Partial reloads by top-level prop name (``only: ["tickets"]``) work as
usual; nested paths (``tickets.data``) select the whole top-level prop.
"""

from __future__ import annotations

import functools
from typing import Any

from django.template.loader import render_to_string
from inertia.http import InertiaResponse
from inertia.settings import settings as inertia_settings

from escalated.conf import app_settings

__all__ = ["EscalatedInertiaResponse", "Resolved", "resolved"]


class Resolved:
    """A prop value already in its final JSON shape (see the module docstring)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Resolved({self.value!r})"


def resolved(value: Any) -> Any:
    """Wrap plain dicts and lists in :class:`Resolved`; leave anything else alone
    (callables and inertia's prop classes keep their lazy behaviour)."""
    return Resolved(value) if isinstance(value, dict | list) else value


@functools.cache
def _encoder_for(base: type[Any]) -> type[Any]:
    """The host's ``INERTIA_JSON_ENCODER``, taught to unwrap :class:`Resolved`."""

    class EscalatedJsonEncoder(base):  # type: ignore[misc]
        def default(self, o: Any) -> Any:
            if isinstance(o, Resolved):
                return o.value
            return super().default(o)

    return EscalatedJsonEncoder


class EscalatedInertiaResponse(InertiaResponse):
    """An ``InertiaResponse`` whose first load renders into ``ESCALATED["LAYOUT"]``.

    inertia-django's ``inertia.html`` (the ``<script data-page="app">`` element and
    ``<div id="app">``) is reused as is: it ``{% extends inertia_layout %}``, and we only
    choose which layout that is.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Read by InertiaResponse.__init__ when it encodes the page (declared ``None``
        # there, meaning "use INERTIA_JSON_ENCODER").
        self.json_encoder = _encoder_for(  # type: ignore[assignment]
            inertia_settings.INERTIA_JSON_ENCODER
        )
        super().__init__(*args, **kwargs)

    def build_first_load(self, data: Any) -> str:
        context, template = self.build_first_load_context_and_template(data)
        return render_to_string(
            template,
            {"inertia_layout": app_settings.LAYOUT, **context},
            self.request,
            using=None,
        )

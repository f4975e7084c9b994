"""Desk configuration read on hot paths (ticket creation), cached per process.

The default SLA policy, schedules and active departments change rarely and are read
on every new ticket. Saving or deleting one of them clears the cache of the process
that did it at once (``escalated.receivers``, and ``sla_recompute_request`` for the
edits that save no model); other processes (other web workers) are not told: they see
the change within ``CONFIG_CACHE_SECONDS``.

Meanwhile they write what they cached, so nothing persisted may rely on the cache
alone: SLA deadlines written from an old clock are recomputed by the first
``check_sla`` run ``CONFIG_CACHE_SECONDS`` after the edit (the policy stays marked
until then, see ``escalated.services.sla.sla_recompute_pending``); a department
deleted meanwhile fails the ticket's foreign key, reported as a field error
(``escalated.services.tickets``). A ticket created in that window still gets the
default policy as it was cached, as if it had been created just before the edit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

CONFIG_CACHE_SECONDS: Final = 30.0

_cache: dict[object, tuple[float, object]] = {}


def cached(key: object, load: Callable[[], object]) -> object:
    """``load()``'s value under ``key``, read again at most every ``CONFIG_CACHE_SECONDS``."""
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    value = load()
    _cache[key] = (now + CONFIG_CACHE_SECONDS, value)
    return value


def config_cache_clear(**kwargs: object) -> None:
    """Forget everything cached here (a signal receiver, too)."""
    _cache.clear()

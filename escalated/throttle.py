"""Fixed-window rate limits kept in Django's cache (the guest submission form).

A window is ``rate.seconds`` long; its counter lives under a key naming the scope, a
hash of the client key and the window's number, so it expires by itself. With
several web processes the cache must be shared (Redis, Memcached, the database) for
the limit to hold across them; the default per-process memory cache limits each
process on its own.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from escalated.conf import Rate


def _key(scope: str, client: str, rate: Rate, now: float) -> tuple[str, int]:
    window = int(now // rate.seconds)
    digest = hashlib.blake2b(client.encode(), digest_size=12).hexdigest()
    retry_after = (window + 1) * rate.seconds - int(now)
    return f"escalated:throttle:{scope}:{digest}:{window}", max(1, retry_after)


def blocked(scope: str, client: str, rate: Rate | None) -> int | None:
    """Seconds until ``client`` may act again in ``scope``, or ``None`` if it may now."""
    if rate is None:
        return None
    key, retry_after = _key(scope, client, rate, time.time())
    return retry_after if int(cache.get(key, 0)) >= rate.count else None


def record(scope: str, client: str, rate: Rate | None) -> None:
    """Count one action of ``client`` in ``scope`` (after it succeeded)."""
    if rate is None:
        return
    key, retry_after = _key(scope, client, rate, time.time())
    # add() sets the counter only if absent (with its expiry); incr() is atomic on
    # the shared backends.
    cache.add(key, 0, timeout=retry_after + 1)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls: start the new window
        cache.add(key, 1, timeout=retry_after + 1)

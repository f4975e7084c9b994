"""Fixed-window rate limits kept in Django's cache (the guest submission form).

A window is ``rate.seconds`` long; its counter lives under a key naming the scope, a
hash of the client key and the window's number, so it expires by itself. With
several web processes the cache must be shared (Redis, Memcached, the database) for
the limit to hold across them; the default per-process memory cache limits each
process on its own.

An action takes its place in the window *before* it runs (:func:`acquire`), with the
cache's atomic increment, so requests sent at once cannot all pass a check made before
any of them is counted; an action that fails gives its place back (:func:`release`).
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import time
from dataclasses import dataclass

from django.core.cache import cache

from escalated.conf import Rate


def address_key(address: str | None) -> str:
    """The client a request's address (``REMOTE_ADDR``) stands for.

    An IPv4 address as it is; an IPv6 address by its /64 network, since one subscriber
    line (or one cloud host) is handed a whole /64 and can send from any of its
    addresses; an IPv4 address seen through IPv6 (``::ffff:a.b.c.d``) as that address.
    """
    text = (address or "").strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _key(scope: str, client: str, rate: Rate, now: float) -> tuple[str, int]:
    window = int(now // rate.seconds)
    digest = hashlib.blake2b(client.encode(), digest_size=12).hexdigest()
    retry_after = (window + 1) * rate.seconds - int(now)
    return f"escalated:throttle:{scope}:{digest}:{window}", max(1, retry_after)


@dataclass(frozen=True, slots=True)
class Place:
    """What :func:`acquire` gave: the counter it took a place in, or how long to wait."""

    key: str | None = None  # the counter (``None``: no limit, or refused)
    retry_after: int | None = None  # refused: seconds until the next window


def acquire(scope: str, client: str, rate: Rate | None) -> Place:
    """Take a place for one action of ``client`` in ``scope`` before running it.

    Refused (``retry_after`` set) when the window's places are all taken. Pass the
    result to :func:`release` if the action then fails.
    """
    if rate is None:
        return Place()
    key, retry_after = _key(scope, client, rate, time.time())
    # add() sets the counter only if absent (with its expiry); incr() is atomic in the
    # memory cache and on the shared backends.
    cache.add(key, 0, timeout=retry_after + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls: start the new window
        cache.add(key, 1, timeout=retry_after + 1)
        count = 1
    if count > rate.count:
        return Place(retry_after=retry_after)
    return Place(key=key)


def release(place: Place) -> None:
    """Give back the place of an action that failed (it does not count)."""
    if place.key is None:
        return
    # ValueError: its window has ended meanwhile, there is nothing to give back.
    with contextlib.suppress(ValueError):
        cache.decr(place.key)

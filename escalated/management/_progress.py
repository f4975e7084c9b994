"""Shared bits of the management commands."""

from __future__ import annotations

import argparse
from typing import Any

from tqdm import tqdm


def positive_int(value: str) -> int:
    """argparse type: a whole number of 1 or more."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


def non_negative_int(value: str) -> int:
    """argparse type: a whole number of 0 or more."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be 0 or more")
    return number


def progress_bar(stream: Any, *, total: int | None, desc: str, enabled: bool) -> tqdm[Any]:
    """A tqdm bar on ``stream``; off when asked, or when the stream is not a terminal."""
    return tqdm(
        total=total,
        desc=desc,
        file=stream,
        disable=None if enabled else True,
        unit="ticket",
        leave=False,
    )

"""Shared bits of the management commands."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import OutputWrapper
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


class _RawStream:
    """File-like view of a command's ``OutputWrapper`` for tqdm.

    ``OutputWrapper.write`` appends a newline and, on a terminal, paints stderr red;
    a progress bar redraws one line with ``\\r`` and must be written as it is.
    """

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, style_func=lambda s: s, ending="")

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()


def progress_bar(stream: Any, *, total: int | None, desc: str, enabled: bool) -> tqdm[Any]:
    """A tqdm bar on ``stream``; off when asked, or when the stream is not a terminal."""
    if isinstance(stream, OutputWrapper):
        stream = _RawStream(stream)
    return tqdm(
        total=total,
        desc=desc,
        file=stream,
        disable=None if enabled else True,
        unit="ticket",
        leave=False,
    )

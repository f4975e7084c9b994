"""Measuring helpers: a query counter, result rows, the markdown table."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

_SAVEPOINT = re.compile(r'"s\d+_x\d+"')
_IN_LIST = re.compile(r"\((?:\s*%s\s*,)+\s*%s\s*\)")
_VALUES_LIST = re.compile(r"(?:\((?:%s,\s*)*%s\)\s*,\s*)+\((?:%s,\s*)*%s\)")


def sql_template(sql: str) -> str:
    """Collapse ``IN (%s, %s, …)`` and multi-row ``VALUES`` so similar queries group."""
    sql = _SAVEPOINT.sub('"s…"', sql)
    sql = _VALUES_LIST.sub("(…rows…)", sql)
    return _IN_LIST.sub("(…)", sql)


@dataclass
class _Stat:
    count: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    slowest_sql: str = ""
    slowest_params: Any = None


@dataclass
class QueryLog:
    """Every SQL statement sent through Django while active: count, time, by template."""

    count: int = 0
    seconds: float = 0.0
    _raw: dict[str, _Stat] = field(default_factory=dict)

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - start
            self.count += 1
            self.seconds += spent
            # Keyed by the raw SQL (a cheap dict lookup); grouped into templates on report.
            stat = self._raw.get(sql)
            if stat is None:
                stat = self._raw[sql] = _Stat()
            stat.count += 1
            stat.seconds += spent
            if spent >= stat.slowest:
                stat.slowest, stat.slowest_sql, stat.slowest_params = spent, sql, params

    @property
    def by_template(self) -> dict[str, _Stat]:
        grouped: dict[str, _Stat] = {}
        for sql, raw in self._raw.items():
            stat = grouped.setdefault(sql_template(sql), _Stat())
            stat.count += raw.count
            stat.seconds += raw.seconds
            if raw.slowest >= stat.slowest:
                stat.slowest, stat.slowest_sql = raw.slowest, raw.slowest_sql
                stat.slowest_params = raw.slowest_params
        return grouped

    def top(self, n: int = 5) -> list[tuple[str, _Stat]]:
        return sorted(self.by_template.items(), key=lambda kv: -kv[1].seconds)[:n]


@contextmanager
def count_queries() -> Iterator[QueryLog]:
    """Count (and time) the queries Django sends on the default connection."""
    log = QueryLog()
    with connection.execute_wrapper(log):
        yield log


@dataclass
class Timed:
    seconds: float
    queries: QueryLog
    value: Any


def timed(fn: Callable[[], Any]) -> Timed:
    """Run ``fn`` once: wall time, queries, and what it returned."""
    with count_queries() as log:
        start = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - start
    return Timed(seconds=seconds, queries=log, value=value)


@dataclass
class Row:
    """One line of the results table."""

    key: str
    name: str
    measured: str
    queries: str
    target: str
    baseline: str = "—"
    speedup: str = "—"
    ok: bool | None = None  # None: reported for information, no target
    notes: str = ""
    diagnosis: list[str] = field(default_factory=list)

    @property
    def result(self) -> str:
        if self.ok is None:
            return "info"
        return "PASS" if self.ok else "**FAIL**"


def fmt_s(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_n(n: float) -> str:
    return f"{n:,.0f}"


def speedup(baseline: float, measured: float) -> str:
    if measured <= 0:
        return "—"
    factor = baseline / measured
    return f"{factor:,.0f}x" if factor >= 10 else f"{factor:.1f}x"


_HEADERS = ("#", "benchmark", "measured", "queries", "target", "baseline", "speed-up", "result")


def render_table(rows: list[Row]) -> str:
    cells = [
        (r.key, r.name, r.measured, r.queries, r.target, r.baseline, r.speedup, r.result)
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(_HEADERS)]

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [line(_HEADERS), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(c) for c in cells]
    return "\n".join(out)


def render_notes(rows: list[Row]) -> str:
    parts = []
    for r in rows:
        if r.notes:
            parts.append(f"- **{r.key}** {r.notes}")
    return "\n".join(parts)


def render_diagnosis(rows: list[Row]) -> str:
    parts = []
    for r in rows:
        if r.diagnosis:
            parts.append(f"### {r.key} {r.name}\n")
            parts.extend(r.diagnosis)
            parts.append("")
    return "\n".join(parts)


def describe_queries(log: QueryLog, n: int = 6) -> list[str]:
    """Markdown lines: where the SQL time went, heaviest statement templates first."""
    lines = [
        f"{fmt_n(log.count)} queries, {fmt_s(log.seconds)} in the database "
        "(client-side wall time of execute).",
        "",
        "| calls | total | slowest | statement |",
        "|---|---|---|---|",
    ]
    for template, stat in log.top(n):
        text = " ".join(template.split())
        if len(text) > 160:
            text = text[:157] + "…"
        text = text.replace("|", "\\|")
        lines.append(
            f"| {fmt_n(stat.count)} | {fmt_s(stat.seconds)} | {fmt_s(stat.slowest)} | `{text}` |"
        )
    return lines


def explain(sql: str, params: Any) -> list[str]:
    """EXPLAIN ANALYZE a captured statement inside a rolled-back transaction."""
    from django.db import transaction

    lines: list[str] = []

    class _Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                # Literal id arrays make plan lines kilobytes long; the shape is what counts.
                lines = [r[0] if len(r[0]) <= 240 else r[0][:237] + "…" for r in cursor.fetchall()]
            raise _Rollback
    except _Rollback:
        pass
    return lines

"""``python -m bench``: generate a desk of N tickets on PostgreSQL and measure the hot paths.

Creates a dedicated database (``escalated_bench`` on 127.0.0.1:5432, user postgres),
migrates it, loads the data, runs the scenarios, prints a markdown table (also written
to ``bench/results/latest.md``) and drops the database again (``--keep-db`` keeps it).
With ``DATABASE_URL`` set, that database is used instead: it is migrated and the app's
tables are emptied first, so point it at a scratch database.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--tickets", type=int, default=100_000, help="tickets to generate (default 100000)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this scenario (repeatable): sla-nothing-due (1), sla-breach (2), "
        "escalations (3), create (4), ui (6)",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the benchmark database at the end"
    )
    parser.add_argument(
        "--creates", type=int, default=1000, help="tickets per ticket_create run (default 1000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of the idle sweeps; the median counts"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the measured calls (pyinstrument if installed, else cProfile) into "
        "bench/results/profile-*.txt; timings then include the profiler's overhead",
    )
    args = parser.parse_args(argv)
    if args.tickets < 100:
        parser.error("--tickets must be at least 100")
    return args


def _admin_connect(settings_db: dict[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=settings_db.get("USER") or "postgres",
        password=settings_db.get("PASSWORD") or None,
        host=settings_db.get("HOST") or "127.0.0.1",
        port=settings_db.get("PORT") or "5432",
        autocommit=True,
    )


def _recreate_database(db: dict[str, Any]) -> None:
    from psycopg import sql

    with _admin_connect(db) as conn:
        name = sql.Identifier(db["NAME"])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def _drop_database(db: dict[str, Any]) -> None:
    from psycopg import sql

    with _admin_connect(db) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db["NAME"]))
        )


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "escalated"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() + (" + uncommitted changes in escalated/" if dirty.stdout else "")


def _cpu_times() -> tuple[int, int] | None:
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def _idle_percent(seconds: float = 3.0) -> float | None:
    """Share of CPU time nobody used over ``seconds`` (while this process sits idle)."""
    before = _cpu_times()
    time.sleep(seconds)
    after = _cpu_times()
    if before is None or after is None or after[0] == before[0]:
        return None
    return 100.0 * (after[1] - before[1]) / (after[0] - before[0])


def _fmt_idle(idle: float | None) -> str:
    return "n/a" if idle is None else f"{idle:.0f}%"


def _process_jiffies(pid: int) -> int | None:
    """CPU time (user + system, in clock ticks) a process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime


class _OtherLoad:
    """How much CPU other processes took while the benchmarks ran.

    All CPU time used on the machine, minus this process and its PostgreSQL backend.
    PostgreSQL's own helpers (autovacuum, parallel workers) count as "other": a small
    share is normal.
    """

    def __init__(self, backend_pid: int) -> None:
        self.backend_pid = backend_pid
        self.start = self._sample()

    def _sample(self) -> tuple[int, int, int] | None:
        machine = _cpu_times()
        ours = [_process_jiffies(os.getpid()), _process_jiffies(self.backend_pid)]
        if machine is None or None in ours:
            return None
        total, idle = machine
        return total, total - idle, sum(x for x in ours if x is not None)

    def share(self) -> float | None:
        end = self._sample()
        if self.start is None or end is None or end[0] == self.start[0]:
            return None
        busy = end[1] - self.start[1]
        ours = end[2] - self.start[2]
        return max(0.0, 100.0 * (busy - ours) / (end[0] - self.start[0]))


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    given = argv if argv is not None else sys.argv[1:]
    idle_start = _idle_percent()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    from bench import settings as bench_settings

    db = bench_settings.DATABASES["default"]
    own_db = not os.environ.get("DATABASE_URL")
    if own_db:
        _recreate_database(db)
        print(f"created database {db['NAME']!r}")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from bench import data, scenarios
    from bench.harness import Row, render_diagnosis, render_notes, render_table
    from escalated.models import Ticket

    wanted = [scenarios.ALIASES.get(name, name) for name in args.only] or list(scenarios.SCENARIOS)
    unknown = [w for w in wanted if w not in scenarios.SCENARIOS]
    if unknown:
        print(f"unknown scenario(s) {unknown}; choose from {list(scenarios.SCENARIOS)}")
        return 2
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"migrated in {time.perf_counter() - started:.1f} s")
        if not own_db and Ticket.objects.exists() and "bench" not in str(db.get("NAME")):
            print(
                f"refusing to empty {db.get('NAME')!r}: it holds tickets and its name does not "
                "say 'bench'. Point DATABASE_URL at a scratch database."
            )
            return 2
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            other = _OtherLoad(cursor.fetchone()[0])
        dataset = data.generate(args.tickets)
        opts = scenarios.Options(
            creates=args.creates,
            repeat=args.repeat,
            profile_dir=RESULTS if args.profile else None,
        )
        rows = []
        for name in wanted:
            print(f"running {name} …", flush=True)
            t0 = time.perf_counter()
            try:
                rows += scenarios.SCENARIOS[name](dataset, opts)
            except Exception as exc:  # one broken scenario must not cost the others' numbers
                traceback.print_exc()
                rows.append(
                    Row(name, f"{name}: crashed", "error", "—", "—", ok=False, notes=repr(exc))
                )
            print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
        other_share = other.share()
        rows.append(scenarios.baseline_row())
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
    finally:
        connections.close_all()
        if own_db and not args.keep_db:
            _drop_database(db)
            print(f"dropped database {db['NAME']!r}")
        elif own_db:
            print(f"kept database {db['NAME']!r}")

    header = [
        "# Escalated benchmarks",
        "",
        f"- run: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, commit {_git_commit()}",
        f"- command: `{' '.join(['python -m bench', *given])}`",
        f"- data: {dataset.tickets:,} tickets ({dataset.open_tickets:,} open), "
        f"{dataset.contacts:,} contacts, loaded in {dataset.seconds:.1f} s",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, PostgreSQL {pg_version} ({db.get('HOST')})",
        f"- CPU idle over 3 s before the run: {_fmt_idle(idle_start)}; CPU used by other "
        f"processes while it ran: {_fmt_idle(other_share)} of the machine (every number "
        "below is wall time, which other work inflates)",
        "",
    ]
    if (idle_start is not None and idle_start < 80) or (
        other_share is not None and other_share > 15
    ):
        header.insert(
            -1,
            "- **warning: other work kept the machine busy; wall times are inflated, "
            "rerun on a quiet machine before drawing conclusions**",
        )
    failed = [r for r in rows if r.ok is False]
    summary = f"**{sum(r.ok is True for r in rows)} passed, {len(failed)} failed**" + (
        f" ({', '.join(r.key for r in failed)})" if failed else ""
    )
    text = "\n".join(
        [*header, render_table(rows), "", summary, "", "## Notes", "", render_notes(rows)]
    )
    diagnosis = render_diagnosis(rows)
    if diagnosis:
        text += "\n\n## Where the time goes (missed targets)\n\n" + diagnosis
    print()
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n")
    print(f"\nwritten to {RESULTS / 'latest.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalated.management._progress import positive_int, progress_bar
from escalated.services.housekeeping import activities_purge


class Command(BaseCommand):
    help = "Delete ticket activity (timeline) entries older than N days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=positive_int, required=True, help="Keep the last N days of activity."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")
        parser.add_argument("--batch-size", type=positive_int, default=5000)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        with progress_bar(
            self.stderr, total=None, desc="Purging", enabled=not options["no_progress"]
        ) as bar:
            count = activities_purge(
                days=options["days"],
                dry_run=dry_run,
                batch_size=options["batch_size"],
                progress=bar.update,
            )
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"Purge activities: {verb} {count:,} entr{'ies' if count != 1 else 'y'} "
            f"older than {options['days']} days{' (dry run)' if dry_run else ''}."
        )

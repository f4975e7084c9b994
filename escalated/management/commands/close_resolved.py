from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalated import notifications
from escalated.conf import app_settings
from escalated.management._progress import non_negative_int, positive_int, progress_bar
from escalated.services.housekeeping import tickets_close_resolved


class Command(BaseCommand):
    help = "Close tickets resolved more than N days ago (as a manual close would)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=non_negative_int,
            default=None,
            help="Days since resolution (default: ESCALATED['AUTO_CLOSE_RESOLVED_AFTER_DAYS']).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        parser.add_argument("--batch-size", type=positive_int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is None:
            days = app_settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS
        dry_run = options["dry_run"]
        # sweep(): webhooks of the closed tickets posted before the process exits.
        with (
            notifications.sweep(),
            progress_bar(
                self.stderr, total=None, desc="Closing", enabled=not options["no_progress"]
            ) as bar,
        ):
            count = tickets_close_resolved(
                days=days, dry_run=dry_run, batch_size=options["batch_size"], progress=bar.update
            )
        verb = "would close" if dry_run else "closed"
        suffix = " (dry run)" if dry_run else ""
        self.stdout.write(
            f"Close resolved: {verb} {count:,} ticket{'s' if count != 1 else ''} "
            f"resolved {days}+ days ago{suffix}."
        )

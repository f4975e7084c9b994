"""``manage.py check_sla``: mark and notify SLA breaches and warnings (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalated import notifications
from escalated.conf import app_settings
from escalated.management._progress import positive_int, progress_bar
from escalated.services.sla import SlaCheckResult, sla_check


class Command(BaseCommand):
    help = (
        "Mark SLA breaches and warnings that have come due, log them on each ticket and "
        "send sla_breached / sla_warning once per ticket."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be marked; change and notify nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=1000,
            help="Tickets marked per transaction (default 1000).",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="Never show the progress bar (it is hidden anyway when stderr is not a TTY).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not app_settings.SLA_ENABLED:
            self.stdout.write(
                "SLA is disabled (ESCALATED['SLA']['ENABLED'] is False): nothing to do."
            )
            return

        # The bar hides itself when stderr is not a terminal (cron, CI).
        # sweep(): one e-mail per agent for the whole run, webhooks posted before exit.
        with (
            notifications.sweep(),
            progress_bar(
                self.stderr,
                total=None,
                desc="SLA check",
                enabled=not options["no_progress"],
            ) as bar,
        ):
            result = sla_check(
                dry_run=options["dry_run"], batch_size=options["batch_size"], progress=bar.update
            )
        self.stdout.write(summary(result))


def summary(result: SlaCheckResult) -> str:
    """The one-line report the command ends with."""
    parts = [
        _count(result.first_response_breaches, "first-response breach", "first-response breaches"),
        _count(result.resolution_breaches, "resolution breach", "resolution breaches"),
        _count(result.first_response_warnings, "first-response warning", "first-response warnings"),
        _count(result.resolution_warnings, "resolution warning", "resolution warnings"),
    ]
    if result.recomputed:
        parts.append(f"deadlines recomputed on {_count(result.recomputed, 'ticket', 'tickets')}")
    return f"SLA check: {', '.join(parts)}{' (dry run)' if result.dry_run else ''}"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"

"""``manage.py recompute_sla``: recompute open tickets' SLA deadlines from their policy."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalated.conf import app_settings
from escalated.management._progress import positive_int, progress_bar
from escalated.models import SlaPolicy
from escalated.services.sla import sla_recompute


class Command(BaseCommand):
    help = (
        "Recompute the SLA deadlines of open tickets from their policy's current targets "
        "and working hours (the admin pages do it after an edit; run this after changing "
        "ESCALATED['SLA'] settings such as BUSINESS_HOURS)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--policy",
            type=positive_int,
            action="append",
            dest="policies",
            metavar="ID",
            help="Only the tickets of this policy (repeat for several; default: every policy).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the tickets whose deadlines would move; change nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=500,
            help="Tickets per transaction (default 500).",
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
        policies: list[int] | None = options["policies"]
        if policies:
            unknown = set(policies) - set(
                SlaPolicy.objects.filter(pk__in=policies).values_list("pk", flat=True)
            )
            if unknown:
                raise CommandError(f"No SLA policy with id {', '.join(map(str, sorted(unknown)))}.")
        with progress_bar(
            self.stderr, total=None, desc="Recomputing", enabled=not options["no_progress"]
        ) as bar:
            result = sla_recompute(
                policy_ids=policies,
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                progress=bar.update,
            )
        verb = "would move" if result.dry_run else "moved"
        self.stdout.write(
            f"SLA recompute: {result.tickets} open ticket{'s' if result.tickets != 1 else ''} "
            f"looked at, deadlines {verb} on {result.changed}"
            f"{' (dry run)' if result.dry_run else ''}"
        )
        if result.skipped:
            names = SlaPolicy.objects.filter(pk__in=result.skipped).order_by("pk")
            listed = ", ".join(f"{p.name!r} (id {p.pk})" for p in names)
            raise CommandError(
                f"Not recomputed: {listed}: the business schedule is invalid (see the "
                "log). Fix it, then run this again."
            )

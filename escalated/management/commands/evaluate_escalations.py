"""``manage.py evaluate_escalations``: run the active escalation rules (from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalated import notifications
from escalated.management._progress import positive_int, progress_bar
from escalated.services.escalations import EvaluationResult, escalations_evaluate


class Command(BaseCommand):
    help = (
        "Run the active escalation rules, in order, over open tickets: each rule fires "
        "once per cause on a ticket, in batches, sending the usual lifecycle signals."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the tickets each rule matches now; change and notify nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=None,
            help="Tickets handled per transaction (default 1000 on PostgreSQL, 500 elsewhere).",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="Never show the progress bar (it is hidden anyway when stderr is not a TTY).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        # sweep(): one e-mail per agent for the whole run, webhooks posted before exit.
        with (
            notifications.sweep(),
            progress_bar(
                self.stderr,
                total=None,
                desc="Escalation rules",
                enabled=not options["no_progress"],
            ) as bar,
        ):
            result = escalations_evaluate(
                dry_run=dry_run, batch_size=options["batch_size"], progress=bar.update
            )
        for outcome in result.rules:
            if outcome.error:
                self.stderr.write(
                    f"Rule {outcome.rule_name!r} is invalid, not run: {outcome.error}"
                )
            for skipped in outcome.skipped_actions:
                self.stderr.write(f"Rule {outcome.rule_name!r}: skipped {skipped}")
            if options["verbosity"] >= 2:
                self.stdout.write(
                    f"  {outcome.rule_name}: {outcome.matched:,} matched"
                    + ("" if dry_run else f", {outcome.acted:,} acted on")
                )
        self.stdout.write(summary(result))


def summary(result: EvaluationResult) -> str:
    """The one-line report the command ends with."""
    rules = len(result.rules)
    head = f"Escalations: {rules:,} rule{'' if rules == 1 else 's'}"
    failed = sum(1 for r in result.rules if r.error)
    tail = f"; {failed} invalid rule{'' if failed == 1 else 's'} not run" if failed else ""
    if result.dry_run:
        return f"{head}, would fire on {_tickets(result.matched)} (dry run){tail}"
    firings = f"{result.matched:,} firing{'' if result.matched == 1 else 's'}"
    return f"{head}, {_tickets(result.acted)} acted on ({firings}){tail}"


def _tickets(n: int) -> str:
    return f"{n:,} ticket{'' if n == 1 else 's'}"

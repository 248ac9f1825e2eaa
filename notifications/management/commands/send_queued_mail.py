from django.core.management.base import BaseCommand, CommandError

from notifications import services


class Command(BaseCommand):
    help = (
        "Send the e-mails waiting in the outbox that are due, here and now (the worker's beat does this "
        "every MAIL_RETRY_SECONDS; use this without a worker, or from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="At most this many e-mails (default 200).")

    def handle(self, *args, limit, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        counts = services.sweep(limit=limit, inline=True)
        summary = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
        self.stdout.write(f"outbox: {summary}")

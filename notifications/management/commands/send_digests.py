from django.core.management.base import BaseCommand

from notifications import digests


class Command(BaseCommand):
    help = (
        "Queue today's daily digest for every user with notifications waiting, here and now (the worker's beat "
        "does this once a day at NOTIFICATIONS_DIGEST_HOUR). A user whose digest went out today gets nothing "
        "more until tomorrow. The e-mails go through the outbox (delivered by the worker, or by send_queued_mail)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List who has notifications waiting; send nothing.")

    def handle(self, *args, dry_run, **options):
        if dry_run:
            users = list(digests.due_users())
            for user in users:
                count = digests.waiting().filter(user=user).count()
                self.stdout.write(f"{user.get_username()}: {count} waiting")
            self.stdout.write(f"digests: {len(users)} would be sent (dry run, nothing sent)")
            return
        counts = digests.send_due_digests()
        self.stdout.write(f"digests: sent {counts['sent']}, nothing to send {counts['nothing']}")

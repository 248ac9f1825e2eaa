from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from accounts.roles import EDITORS, MODERATORS, ensure_roles
from annotations.demo import add_demo_annotations
from annotations.demo_compare import add_sample_original, add_synthetic_pair
from articles.demo import DEMO_ACCOUNTS, SAMPLE_DEK, SAMPLE_PATH, SAMPLE_SLUG, SAMPLE_SOURCE
from articles.models import Source
from articles.parsing import parse_document, read_document
from articles.services import import_article


class Command(BaseCommand):
    help = (
        "Set up the demo: import the sample article, fill in its source details, create demo accounts "
        "(editor, moderator, alice, bob) and the demo annotations (published notes and fact-checks, two "
        "waiting in the moderation queue, a rejected note, a reader's flag). Safe to run again. "
        "Refuses to run with DEBUG off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-accounts", action="store_true", help="import the sample only")
        parser.add_argument("--no-annotations", action="store_true", help="leave the sample without annotations")

    def handle(self, *args, no_accounts=False, no_annotations=False, **options):
        if not settings.DEBUG:
            raise CommandError("setup_demo creates accounts with published passwords; it never runs with DEBUG off")
        # The demo's moderation decisions e-mail the demo accounts (example.com): keep those in memory
        # rather than print them over the accounts table.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            with transaction.atomic():
                self._setup(no_accounts=no_accounts, no_annotations=no_annotations)

    def _setup(self, *, no_accounts, no_annotations):
        parsed = parse_document(
            read_document(SAMPLE_PATH, max_bytes=settings.IMPORT_MAX_BYTES), filename=SAMPLE_PATH.name
        )
        result = import_article(parsed=parsed, slug=SAMPLE_SLUG)
        self.stdout.write(result.summary())
        article = result.article
        if not article.dek:
            article.dek = SAMPLE_DEK
            article.save(update_fields=["dek", "updated_at"])
        source, _ = Source.objects.get_or_create(article=article)
        filled = [name for name, value in SAMPLE_SOURCE.items() if not getattr(source, name)]
        for name in filled:
            setattr(source, name, SAMPLE_SOURCE[name])
        if filled:
            source.save()
            self.stdout.write(f"Source details filled: {', '.join(filled)}")
        if not no_accounts:
            self._accounts()
            if not no_annotations:
                self._annotations(article)
        self._originals(article)
        self.stdout.write(
            self.style.SUCCESS(f"Sample article: {settings.SITE_URL.rstrip('/')}{article.get_absolute_url()}")
        )

    def _originals(self, article):
        """The sample's original passages and the synthetic pair (issue 19; annotations.demo_compare)."""
        editor = get_user_model().objects.filter(username="editor").first()
        result = add_sample_original(article=article, editor=editor)
        self.stdout.write(f"Sample original: {result.summary()}")
        synthetic, result = add_synthetic_pair(editor=editor)
        self.stdout.write(f"Synthetic pair: {synthetic.get_absolute_url()}?view=compare ({result.summary()})")

    def _annotations(self, article):
        moderator = get_user_model().objects.get(username="moderator")
        created = add_demo_annotations(article=article, moderator=moderator)
        if created:
            counts = Counter(a.get_status_display().lower() for a in created)
            self.stdout.write(
                f"Demo annotations: {len(created)} ({', '.join(f'{n} {status}' for status, n in sorted(counts.items()))})"
            )
        else:
            self.stdout.write("Demo annotations already exist.")

    def _accounts(self):
        # The roles come from a data migration; make sure they exist even in a
        # database that was flushed since (as test servers do).
        ensure_roles(Group, Permission)
        User = get_user_model()
        created = []
        for username, (password, role) in DEMO_ACCOUNTS.items():
            user, is_new = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            if is_new:
                user.set_password(password)
                user.is_staff = role in {EDITORS, MODERATORS}
                user.save()
                created.append((username, password, role))
            group = Group.objects.filter(name=role).first()
            if group is not None:
                user.groups.add(group)
        if created:
            self.stdout.write("Demo accounts (development only):")
            for username, password, role in created:
                self.stdout.write(f"  {username:<10} password: {password:<22} ({role})")
        else:
            self.stdout.write("Demo accounts already exist (editor, moderator, alice, bob; passwords in the README).")

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.roles import ANNOTATORS


@transaction.atomic
def sign_up(*, form):
    """Create the account from a valid sign-up form and make the user an annotator."""
    user = form.save()
    group, _ = Group.objects.get_or_create(name=ANNOTATORS)
    user.groups.add(group)
    return user

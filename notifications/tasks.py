"""The job queue's tasks (Celery; ``config/celery.py``). Thin: the work is in ``notifications.services`` and
``notifications.digests``."""

from celery import shared_task

from notifications import digests, services


@shared_task(name="notifications.deliver_email", ignore_result=True)
def deliver_email(pk: int) -> str:
    return services.deliver(pk)


@shared_task(name="notifications.sweep_outbox", ignore_result=True)
def sweep_outbox() -> dict:
    return services.sweep()


@shared_task(name="notifications.send_digests", ignore_result=True)
def send_digests() -> dict:
    return digests.send_due_digests()

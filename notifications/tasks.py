"""The job queue's tasks (Celery; ``config/celery.py``). Thin: the work is in ``notifications.services``."""

from celery import shared_task

from notifications import services


@shared_task(name="notifications.deliver_email", ignore_result=True)
def deliver_email(pk: int) -> str:
    return services.deliver(pk)


@shared_task(name="notifications.sweep_outbox", ignore_result=True)
def sweep_outbox() -> dict:
    return services.sweep()

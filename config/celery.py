"""The job queue: Celery, with the machine's Redis as broker in production.

With ``CELERY_BROKER_URL`` unset (development, tests) tasks run eagerly, in
the process that queues them, so `make run` and `make test` need no worker.
In production run one or more workers beside gunicorn::

    celery -A config worker --beat --loglevel=INFO

``--beat`` also runs the outbox sweep every ``MAIL_RETRY_SECONDS`` (retries
of e-mails that failed or were queued while the broker was down); run it in
exactly one worker. Settings are the ``CELERY_*`` names of config/settings.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""An e-mail backend whose server is down: every send raises, as smtplib does on a refused connection."""

from django.core.mail.backends.base import BaseEmailBackend

attempts: list[str] = []


class DownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            attempts.append(message.extra_headers.get("Message-ID", ""))
        raise ConnectionRefusedError(111, "Connection refused")

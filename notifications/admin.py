"""The outbox in the admin, for superusers: what was sent, what waits, what failed and why; retry now."""

from django.contrib import admin, messages

from notifications import services
from notifications.models import DigestItem, OutgoingEmail


class SuperusersReadOnly(admin.ModelAdmin):
    """Seen by active superusers only, and changed by nobody here (the services write these rows)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(SuperusersReadOnly):
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    actions = ["retry_selected"]
    fields = [
        "kind",
        "to",
        "subject",
        "shown_body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "key",
    ]
    readonly_fields = fields

    @admin.display(description="body")
    def shown_body(self, obj: OutgoingEmail) -> str:
        if obj.sensitive:
            return "(not shown: it holds a secret link)"
        return obj.body

    @admin.action(description="Retry the selected e-mails now")
    def retry_selected(self, request, queryset):
        count = services.retry_now(queryset)
        self.message_user(request, f"{count} e-mail(s) will be retried now.", messages.SUCCESS)


@admin.register(DigestItem)
class DigestItemAdmin(SuperusersReadOnly):
    """Notices waiting for (or carried by) a daily digest, for superusers: read-only, like the outbox."""

    list_display = ["created_at", "user", "kind", "subject", "email", "dropped_at"]
    list_filter = ["kind", ("email", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "email"]
    search_fields = ["user__username", "subject"]
    date_hierarchy = "created_at"
    fields = ["user", "kind", "key", "subject", "body", "created_at", "email", "dropped_at"]
    readonly_fields = fields
    show_full_result_count = False

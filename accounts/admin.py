"""API tokens in the admin: editors see everyone's tokens and can revoke them (never read or create one)."""

from django.contrib import admin, messages

from accounts import tokens
from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "display", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "display"]
    readonly_fields = [
        "user",
        "name",
        "display",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # a token is created by its owner, on their account page, and shown to them once

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: who revoked it and when stays

    @admin.action(description="Revoke selected API tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset:
            if token.revoked_at is None:
                tokens.revoke_token(actor=request.user, token=token)
                count += 1
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)

"""Tags in the admin: renames and deletions go through the tag services (every page showing the tag refreshes)."""

from django.contrib import admin

from annotations import services
from annotations.models import Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        services.save_tag(tag=obj)

    def delete_model(self, request, obj):
        services.delete_tag(tag=obj)

    def delete_queryset(self, request, queryset):
        for tag in queryset:
            services.delete_tag(tag=tag)


# taggit registers its own Tag model; this site uses annotations.Tag instead.
try:
    from taggit.models import Tag as TaggitTag

    admin.site.unregister(TaggitTag)
except admin.sites.NotRegistered:
    pass

from django.contrib.auth.management import create_permissions
from django.db import migrations


def apply_roles(apps, schema_editor):
    """Editors may see and revoke API tokens: the roles again, now that the token model exists."""
    from accounts.roles import ensure_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_api_tokens"),
        ("annotations", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]

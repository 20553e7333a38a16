"""The feed head row, created once (position 0: nothing published yet)."""

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("opendata", "FeedHead").objects.get_or_create(pk=1, defaults={"position": 0})


class Migration(migrations.Migration):
    dependencies = [("opendata", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

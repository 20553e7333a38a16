"""The database refuses UPDATE and DELETE of audit events, and the head row is created once."""

from django.db import migrations

from tangguh.audit.triggers import install_statements, remove_statements


def install(apps, schema_editor):
    for sql in install_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)
    apps.get_model("audit", "AuditHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": "0" * 64}
    )


def uninstall(apps, schema_editor):
    for sql in remove_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]

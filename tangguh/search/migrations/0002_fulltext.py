"""Full text for the search index: FTS5 on SQLite, tsvector + GIN (btree_gin) on PostgreSQL."""

from django.db import migrations

from tangguh.search.fts import install_statements, uninstall_statements


def install(apps, schema_editor):
    for sql in install_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    for sql in uninstall_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]

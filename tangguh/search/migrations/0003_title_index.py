"""PostgreSQL: a GIN over the title's words and the filter columns (btree_gin), so the first
tier of relevance ("every word in the title") is one exact bitmap. Nothing on SQLite (FTS5
answers it with a column filter)."""

from django.db import migrations

from tangguh.search.fts import POSTGRES_TITLE_INDEX, POSTGRES_TITLE_INDEX_DROP


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_TITLE_INDEX)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_TITLE_INDEX_DROP)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]
    operations = [migrations.RunPython(install, uninstall)]

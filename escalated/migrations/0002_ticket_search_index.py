"""Full-text search index on tickets (PostgreSQL only).

A GIN index over ``to_tsvector('simple', subject || ' ' || description)``: the agent
list's search (``escalated.selectors.tickets.ticket_search_q``) repeats this exact
expression, so PostgreSQL answers ``websearch_to_tsquery`` matches from the index.
The ``simple`` configuration needs no extension (``pg_trgm`` / ``unaccent`` are not
assumed). Other databases skip it: their search falls back to ``icontains``.
"""

from django.db import migrations

from escalated.conf import table_name

INDEX = "esc_ticket_fts_idx"


def _tickets(schema_editor):
    return schema_editor.quote_name(table_name("tickets"))


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON {_tickets(schema_editor)} USING gin "
        "(to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(description, '')))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("escalated", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

"""A city of many demo-sized wards on PostgreSQL, for the city roll-up benchmark.

The first ward is the real demo ward (survey_app.demo.generator, answers and indicator rows
included). The others are copies of its rows with new ids, bulk-loaded with COPY through psycopg:
residential groups, households, members, visits, submissions (answers left empty: the roll-up never
reads them) and the derived indicator rows. Users and teams are not copied.
"""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa
from psycopg.types.json import Jsonb

from survey_app.extensions import db

#: Tables copied per ward, parents first.
TABLES = (
    "residential_groups",
    "households",
    "submissions",
    "persons",
    "visits",
    "person_indicators",
    "indicator_tallies",
    "indicator_figures",
)
#: Foreign keys rewritten to the copy's ids: column -> table it points to.
REMAPPED = {"residential_group_id": "residential_groups", "household_id": "households", "submission_id": "submissions"}
#: Columns pointing at users or teams (not copied): left empty in the copies.
CLEARED = {"surveyor_id", "survey_team_id", "registered_by_id", "reviewed_by_id", "client_uuid"}  # not copied


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_city(wards: int) -> int:
    """Make sure the demo city has `wards` wards; returns the number of people in it."""
    from survey_app.demo import generator
    from survey_app.wards.models import Ward

    started = time.perf_counter()
    if not generator.exists():
        generator.generate(generator.DemoConfig())
        db.session.commit()
        _log(f"demo ward built in {time.perf_counter() - started:.0f} s")
    template = db.session.scalar(sa.select(Ward).where(Ward.code == generator.DemoConfig.ward_code))
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Ward).where(Ward.city_id == template.city_id))
    if have < wards:
        _copy_wards(template, range(have, wards))
        _log(f"{wards} wards ready in {time.perf_counter() - started:.0f} s")
    return db.session.scalar(sa.text("SELECT count(*) FROM persons"))


def _copy_wards(template, numbers) -> None:
    """Copy the template ward's rows once per number, with ids shifted by number x the id span."""
    from survey_app.wards.models import Ward

    connection = db.session.connection().connection.dbapi_connection  # the psycopg connection
    spans = {t: db.session.scalar(sa.text(f"SELECT max(id) FROM {t}")) or 0 for t in TABLES}
    rows, columns = {}, {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} WHERE ward_id = %s ORDER BY id", (template.id,))
            columns[table] = [d.name for d in cursor.description]
            rows[table] = cursor.fetchall()
    with connection.cursor() as cursor:  # the copies are consistent by construction: skip FK triggers,
        cursor.execute("SET session_replication_role = replica")  # and build plain indexes once at the end
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname LIKE 'ix_%%'", (list(TABLES),)
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    for number in numbers:
        ward = Ward(
            city_id=template.city_id,
            code=f"B{number:03d}",
            name=f"Phường Thử {number:03d}",
            kind=template.kind,
            citizen_app_name=template.citizen_app_name,
        )
        db.session.add(ward)
        db.session.flush()
        with connection.cursor() as cursor:
            for table in TABLES:
                _copy_table(cursor, table, columns[table], rows[table], ward.id, number, spans)
        _log(f"  ward {number + 1}: {ward.code}")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def _copy_table(cursor, table: str, names: list[str], rows: list, ward_id: int, number: int, spans: dict) -> None:
    """COPY one table's template rows as the copy `number` of them."""

    def change(name: str):
        if name == "id":
            shift = number * spans[table]
            return lambda value: value + shift
        if name == "ward_id":
            return lambda value: ward_id
        if name in REMAPPED:
            shift = number * spans[REMAPPED[name]]
            return lambda value: None if value is None else value + shift
        if name in CLEARED:
            return lambda value: None
        if name == "uuid":
            return lambda value: f"b{number:07d}{value[8:]}"
        if name == "answers":
            return lambda value: Jsonb({})
        if name == "boundary":
            return lambda value: None if value is None else Jsonb(value)
        return None

    changes = [(index, fn) for index, fn in ((i, change(n)) for i, n in enumerate(names)) if fn is not None]
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            row = list(row)
            for index, fn in changes:
                row[index] = fn(row[index])
            copy.write_row(row)

"""Dashboard speed: the demo ward's data endpoints, and the city roll-up of 100 wards on PostgreSQL.

    python bench/dashboard.py            # demo ward (~36,000 people); builds it if needed
    python bench/dashboard.py --city     # 100 wards (~3.6 million people) in a throwaway PostgreSQL

The ward run uses SURVEY_BENCH_DATABASE_URL, or a SQLite file in the instance folder (the embedded
set-up). The city run uses SURVEY_BENCH_DATABASE_URL when it is a PostgreSQL URL, otherwise it starts
a throwaway cluster with tests/pg_throwaway.sh (run as root; needs the postgresql package).
Each figure is the median of several runs, timed inside the server process (no network), and is
compared with a plain SQL GROUP BY over the same people rows in the same run. The last line is:

    ward_dashboard_ms=N groupby_ms=M ratio=R     (or city_rollup_ms=... for --city)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SURVEY_SECRET_KEY", "bench-secret-key")

import sqlalchemy as sa  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402

WARD_ENDPOINTS = (
    "coverage/groups",
    "coverage/teams",
    "coverage/members",
    "progress",
    "indicators?by=total",
    "indicators?by=group",
    "indicators?by=age_group",
    "indicators?by=sex",
    "indicators?by=vulnerable",
    "map/groups",
    "map/households",
)


def median_ms(function, runs: int) -> float:
    """Median wall time of `function()` in milliseconds, after one warm-up call."""
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def make_app(url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
    return app


def logged_in_client(app, username: str):
    from survey_app.demo.generator import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"login of {username} failed"
    return client


def ensure_demo_ward() -> int:
    """The demo ward's id, generated first if the database has none."""
    from survey_app.demo import generator
    from survey_app.wards.models import Ward

    if not generator.exists():
        started = time.perf_counter()
        generator.generate(generator.DemoConfig())
        db.session.commit()
        print(f"built the demo ward in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    ward_id = db.session.scalar(sa.select(Ward.id).where(Ward.code == generator.DemoConfig.ward_code))
    add_visit_gps(ward_id)
    bring_up_to_date(ward_id)
    return ward_id


def bring_up_to_date(ward_id: int) -> None:
    """A database built by an older version: add the indexes create_all leaves out on existing tables,
    and the kept figures the dashboard reads (what the migration and `dashboard rebuild-figures` do)."""
    from survey_app.dashboard.figures import rebuild_figures
    from survey_app.dashboard.models import IndicatorFigure

    with db.engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)
    if not db.session.scalar(sa.select(sa.func.count()).where(IndicatorFigure.ward_id == ward_id)):
        rebuild_figures(ward_id)
        db.session.commit()
    settle_statistics()


def settle_statistics() -> None:
    """PostgreSQL: VACUUM ANALYZE the tables just written, as autovacuum soon does on a live server, so
    the planner knows their sizes and the covering indexes can answer without visiting the table
    (a table loaded a moment ago has no visibility map yet). The plain GROUP BY profits alike."""
    if db.engine.dialect.name != "postgresql":
        return
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def add_visit_gps(ward_id: int) -> None:
    """Give visits a GPS point inside their group's square when none has one (the demo records none)."""
    from survey_app.collection.models import Visit
    from survey_app.wards.models import ResidentialGroup

    if db.session.scalar(sa.select(sa.func.count()).where(Visit.ward_id == ward_id, Visit.latitude.is_not(None))):
        return
    rng = random.Random(7)
    centres = {
        gid: (lat, lon)
        for gid, lat, lon in db.session.execute(
            sa.select(ResidentialGroup.id, ResidentialGroup.centroid_lat, ResidentialGroup.centroid_lon).where(
                ResidentialGroup.ward_id == ward_id, ResidentialGroup.centroid_lat.is_not(None)
            )
        )
    }
    rows = db.session.execute(sa.select(Visit.id, Visit.residential_group_id).where(Visit.ward_id == ward_id)).all()
    updates = [
        {"vid": vid, "lat": centres[gid][0] + rng.uniform(-0.0014, 0.0014), "lon": centres[gid][1] + rng.uniform(-0.0014, 0.0014)}
        for vid, gid in rows
        if centres.get(gid)
    ]
    table = Visit.__table__
    if updates:
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("vid"))
            .values(latitude=sa.bindparam("lat"), longitude=sa.bindparam("lon")),
            updates,
        )
    db.session.commit()


def plain_groupby(sql: str, runs: int, **params) -> float:
    """Median time of a plain SQL GROUP BY, run on the same connection pool."""

    def run():
        with db.engine.connect() as conn:
            conn.execute(sa.text(sql), params).all()

    return median_ms(run, runs)


def bench_ward(url: str, runs: int) -> str:
    app = make_app(url)
    with app.app_context():
        ward_id = ensure_demo_ward()
        people = db.session.scalar(sa.text("SELECT count(*) FROM persons WHERE ward_id = :w"), {"w": ward_id})
        groupby = plain_groupby(
            "SELECT residential_group_id, count(*) FROM persons WHERE ward_id = :w GROUP BY residential_group_id", runs, w=ward_id
        )
    client = logged_in_client(app, "canbo")
    figures = {}
    for endpoint in WARD_ENDPOINTS:
        url_path = f"/api/dashboard/wards/{ward_id}/{endpoint}"
        response = client.get(url_path)
        assert response.status_code == 200, f"{url_path}: {response.status_code}"
        figures[endpoint] = median_ms(lambda url_path=url_path: client.get(url_path), runs)
    page = median_ms(lambda: client.get("/dashboard"), max(3, runs // 2))
    print(f"demo ward: {people} people, database {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    for endpoint, ms in figures.items():
        print(f"  {endpoint:<28} {ms:8.1f} ms")
    print(f"  {'(page /dashboard)':<28} {page:8.1f} ms")
    slowest = max(figures.values())
    return f"ward_dashboard_ms={slowest:.1f} groupby_ms={groupby:.1f} ratio={slowest / groupby:.2f}"


def bench_city(url: str, runs: int, wards: int) -> str:
    from bench.city import build_city

    app = make_app(url)
    with app.app_context():
        people = build_city(wards)
        groupby = plain_groupby("SELECT ward_id, count(*) FROM persons GROUP BY ward_id", runs)
    client = logged_in_client(app, "thanhpho")
    response = client.get("/api/dashboard/city")
    assert response.status_code == 200 and len(response.get_json()["wards"]) >= wards
    rollup = median_ms(lambda: client.get("/api/dashboard/city"), runs)
    page = median_ms(lambda: client.get("/dashboard/city"), max(3, runs // 2))
    print(f"city: {wards} wards, {people} people on PostgreSQL")
    print(f"  /api/dashboard/city {rollup:8.1f} ms; page /dashboard/city {page:8.1f} ms")
    return f"city_rollup_ms={rollup:.1f} groupby_ms={groupby:.1f} ratio={rollup / groupby:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", action="store_true", help="the city roll-up of many wards on PostgreSQL")
    parser.add_argument("--wards", type=int, default=100, help="wards in the city run")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (median)")
    args = parser.parse_args()
    url = os.environ.get("SURVEY_BENCH_DATABASE_URL", "")
    if args.city:
        if not url.startswith("postgresql"):
            script = (
                f"source {ROOT / 'tests' / 'pg_throwaway.sh'} && SURVEY_BENCH_DATABASE_URL=$SURVEY_DATABASE_URL "
                f"{sys.executable} {Path(__file__).resolve()} --city --wards {args.wards} --runs {args.runs}"
            )
            sys.exit(subprocess.call(["bash", "-c", script]))
        print(bench_city(url, args.runs, args.wards))
        return
    if not url:
        instance = Path(os.environ.get("SURVEY_INSTANCE_PATH") or ROOT / "instance")
        instance.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{instance / 'bench-dashboard.db'}"
    print(bench_ward(url, args.runs))


if __name__ == "__main__":
    main()

"""Benchmark: the training plan of the demo ward (Phường Phú Liên), target under 2 s.

    python bench/plan.py [--database URL] [--households N] [--repeat R]

Without --database it builds the demo ward, with its survey answers, in a temporary SQLite
database. It times ``planning.operations.generate_plan`` (load the answers, score everyone, count
demand, build classes, store the plan) and ends with one line:
``plan_seconds=N classes=C learners=L unplaced=U`` (the best of the repeats).
Run by hand; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="use this database (the demo ward is created if missing)")
    parser.add_argument("--households", type=int, default=12_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("SURVEY_SECRET_KEY", "bench")
        os.environ["SURVEY_INSTANCE_PATH"] = folder
        run(args.database or f"sqlite:///{folder}/bench.db", args.households, args.repeat)


def run(url: str, households: int, repeat: int) -> None:
    import sqlalchemy as sa

    from survey_app import create_app
    from survey_app.demo import generator
    from survey_app.extensions import db
    from survey_app.planning import operations
    from survey_app.planning.planner import PlanSettings
    from survey_app.wards.models import Ward

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        if not generator.exists():
            started = time.perf_counter()
            generator.generate(generator.DemoConfig(households=households))
            db.session.commit()
            print(f"demo ward built in {time.perf_counter() - started:.1f} s")
        ward = db.session.execute(sa.select(Ward).where(Ward.code == generator.DemoConfig.ward_code)).scalar_one()
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            plan = operations.generate_plan(ward, PlanSettings())
            db.session.commit()
            timings.append(time.perf_counter() - started)
            db.session.expire_all()
        summary = plan.summary
        print(
            f"people={summary['people']} home_visits={summary['home_visits']} pool={summary['pool']} "
            f"trainers_used={summary['trainers_used']} runs={', '.join(f'{t:.2f}' for t in timings)}"
        )
        print(
            f"plan_seconds={min(timings):.2f} classes={summary['classes']} learners={summary['learners']} "
            f"unplaced={summary['unplaced']}"
        )


if __name__ == "__main__":
    main()

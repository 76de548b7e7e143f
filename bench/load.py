"""Load test: 200 phones sync the real household survey against gunicorn, with a floor measured in the same run.

Run `python bench/load.py` (SQLite in WAL, a temporary file) or `python bench/load.py --postgres
--workers 4` (a throwaway PostgreSQL started with tests/pg_throwaway.sh; needs root); `--database-url`
names an empty database instead (the smoke test's). `python bench/load.py --openrosa` sends the real
pass as ODK Collect sends it (below). `--help` lists the other options.

The bench seeds one ward (bench/load_seed.py): a team and a group per 10 phones, one surveyor per
phone, one listed household per record with a roster of 1-5 members aged 15+ (3 on average, Person
rows as the demo generator makes them). The ward uses the shipped household_survey form from
forms/; each record is an interview as the phone sends it, answered by the demo answer generator
(survey_app/demo/answers.py) for exactly the roster's members. Each phone's queue goes in batches
of 20; 20% of batches have their reply "lost" and are sent again (attempt 2), which must come back
as duplicates.

It starts gunicorn on a free loopback port, with the production settings (survey_app/gunicorn_conf.py:
sync workers, one request at a time per process, so the kernel spreads the phones' connections over
the processes), and SURVEY_BENCH_FLOOR=1 (which adds the floor endpoint
of survey_app.benchfloor) and, when `survey-app worker --help` works, one `survey-app worker` beside
it with the same environment. The load generator runs in its own process (`python bench/load.py
--generate PLAN REPORT`, bench/load_phones.py), once per pass; each pass logs every phone in
through the login form and takes a CSRF token, then starts the clock and sends every batch.

1. The floor pass, first: the same batches, re-sends included, to /api/bench/floor/batch, which
   only inserts (uuid, body) rows with one executemany and commits (same server, same login,
   CSRF and write lock): what any ingest costs at the least.
2. The real pass: the same batches to /api/submissions/batch.

With `--openrosa` the seed also makes one ODK Collect device per surveyor (through
survey_app.openrosa.operations.create_device, as the ward admin's button does), and the real pass is
Collect's instead (the floor pass is unchanged: the same JSON batches, same server, same run): no
login, a HEAD of the submission URL before the clock (Collect's check before it uploads), then every
record of every batch as the XML instance Collect writes (bench/load_phones.py's instance_xml: root
`<data id="household_survey" version="…">`, one element per answer, repeats as repeated elements,
select_multiple space-separated, `<meta><orx:instanceID>uuid:…</orx:instanceID></meta>`; `<start>` and
`<end>` from started_at and finished_at only when the form has those questions, which the shipped
one has not), each POSTed on its own to /collect/key/<token>/submission as multipart/form-data
(xml_submission_file, submission.xml, text/xml) with Collect's headers (X-OpenRosa-Version: 1.0, …).
Each must answer 201; the records of a "lost" batch are then sent again, one by one, and each must
answer 202 (already received). The server finds each record's listed household from a1_group,
a2_address and a3_head_name: a record counts as stored only when its submission is linked to that
household (a quarantined record or a household registered anew counts as lost).

Afterwards, if the database has an `outbox` table, the bench waits (60 s at most) until the worker
has emptied it and prints `catch_up_s=…` on stderr: the time from the end of the load until the
derived figures caught up. Then it counts the rows: every record sent must be stored exactly once
(a submission and a visit). Every 5xx answer counts (errors_5xx, both passes, the logins too), even
when the phone's retry then succeeded; the tails of tracebacks in the gunicorn and worker logs go
to stderr, with the busy-database answers it logged, counted by kind. The last line:

`stored_per_s=N p95_ms=P floor_per_s=F ratio_floor=R sent=S stored=T duplicates=D lost=L errors_5xx=E`

stored_per_s: distinct records stored over the real pass's wall time (from the first batch to the
last answer); p95_ms: the 95th percentile of the real pass's batch requests (with --openrosa, of its
single-submission requests; re-sends and retries included); floor_per_s: distinct records in the
floor table over the floor pass's wall time; ratio_floor = stored_per_s / floor_per_s. The exit status is 1 when a record was lost, doubled or
refused, a re-send was not a duplicate (with --openrosa: a first send not answered 201, a re-send
not 202), or the server answered 5xx.

This machine's speed drifts by a third from one minute to the next (the floor alone measured 2,200 to
4,400/s in runs minutes apart), so the bench makes 3 rounds (`--rounds`), each with a fresh ward
(seeds 16, 17, 18), database, server and worker, the floor measured again in each: the line gives the
median of the rounds' stored_per_s, p95_ms and floor_per_s, the median of their own ratios, the
fewest sent and stored, the most duplicates and lost, and every 5xx of every round. Each round's
figures go to stderr first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SURVEY_SECRET_KEY", "bench-secret-key")

import sqlalchemy as sa  # noqa: E402  (after the secret key is set)

REAL_PATH, FLOOR_PATH = "/api/submissions/batch", "/api/bench/floor/batch"
#: ODK Collect's submission URL: the server URL of its settings QR code, then /submission.
COLLECT_PATH = "/collect/key/{token}/submission"
#: Seconds the derived figures may take to catch up after the load.
CATCH_UP_TIMEOUT = 60


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_postgres() -> tuple[subprocess.Popen, str]:
    """A throwaway PostgreSQL; it stops when the returned shell's stdin closes."""
    shell = subprocess.Popen(
        ["bash", "-c", f'source {ROOT / "tests/pg_throwaway.sh"}; echo "$SURVEY_DATABASE_URL"; read -r _'],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return shell, shell.stdout.readline().strip()


def server_env(url: str, instance: str) -> dict:
    """The environment of gunicorn and the worker: this checkout's code, the bench database, the floor on."""
    return {
        **os.environ,
        "SURVEY_DATABASE_URL": url,
        "SURVEY_INSTANCE_PATH": instance,
        "SURVEY_BENCH_FLOOR": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def start_gunicorn(env: dict, port: int, instance: str, workers: int, threads: int) -> subprocess.Popen:
    with open(Path(instance) / "gunicorn.log", "wb") as log:  # the child keeps its own copy
        server = subprocess.Popen(
            # the production settings (survey_app/gunicorn_conf.py); sync workers unless --threads says
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "python:survey_app.gunicorn_conf",
                "-w",
                str(workers),
                *(["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]),
                "-b",
                f"127.0.0.1:{port}",
                "--backlog",
                "2048",
                "survey_app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn did not start: {(Path(instance) / 'gunicorn.log').read_text()[-2000:]}") from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start in 30 s")


def start_worker(env: dict, instance: str) -> subprocess.Popen | None:
    """One `survey-app worker` (the venv's, next to this Python), if that command exists yet."""
    command = Path(sys.executable).parent / "survey-app"
    if not command.exists():
        _log(f"no worker started: {command} does not exist")
        return None
    probe = subprocess.run([str(command), "worker", "--help"], check=False, cwd=ROOT, env=env, capture_output=True, timeout=120)
    if probe.returncode != 0:
        _log("no worker started: `survey-app worker` does not exist yet")
        return None
    with open(Path(instance) / "worker.log", "wb") as log:
        return subprocess.Popen([str(command), "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def batches_of(plans: list[dict], size: int, resend_share: float) -> list[dict]:
    """Each phone's queue cut into batches; a `resend_share` of all batches, spread evenly, marked "lost"."""
    phones, number = [], 0
    for plan in plans:
        queue, batches = plan["queue"], []
        for start in range(0, len(queue), size):
            lost = int((number + 1) * resend_share) > int(number * resend_share)
            batches.append({"items": queue[start : start + size], "resend": lost})
            number += 1
        # the Collect device's token, and whether its instances carry start and end (--openrosa)
        phones.append({"username": plan["username"], "batches": batches, **{k: plan[k] for k in ("token", "times") if k in plan}})
    return phones


def run_pass(plan: dict, path: str, tmp: str, name: str) -> dict:
    """One pass of the load generator, in its own process; its report."""
    from load_seed import PASSWORD

    plan_file, report_file = Path(tmp) / f"{name}.plan.json", Path(tmp) / f"{name}.report.json"
    plan_file.write_text(
        json.dumps(
            {
                **plan,
                "path": path,
                "password": PASSWORD,
                "expect_duplicates": path == REAL_PATH,
                "collect": path == COLLECT_PATH,
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--generate", str(plan_file), str(report_file)],
        check=False,
        cwd=ROOT,
        timeout=plan["timeout"] + 120,
    )
    if done.returncode != 0 or not report_file.exists():
        raise SystemExit(f"the {name} pass failed (load generator exit status {done.returncode})")
    return json.loads(report_file.read_text(encoding="utf-8"))


def count_rows(engine, sent: set[str]) -> tuple[int, int]:
    """(distinct records of `sent` stored as submission and visit, extra rows for the same records)."""
    with engine.connect() as conn:
        uuids = list(conn.execute(sa.text("SELECT uuid FROM submissions")).scalars())
        visits = list(conn.execute(sa.text("SELECT client_uuid FROM visits")).scalars())
    stored = set(uuids) & set(visits) & sent
    return len(stored), (len(uuids) - len(set(uuids))) + (len(visits) - len(set(visits)))


def count_linked(engine, listed: dict[str, int], households: int) -> int:
    """Of the records stored (count_rows), those whose submission is not on the record's listed household:
    XML instances name their household by group, address and head's name. Logs what went wrong."""
    with engine.connect() as conn:
        linked = dict(conn.execute(sa.text("SELECT uuid, household_id FROM submissions")).all())
        now = conn.execute(sa.text("SELECT count(*) FROM households")).scalar_one()
        held = conn.execute(sa.text("SELECT count(*) FROM quarantined_submissions")).scalar_one()
    unlinked = sum(1 for uuid, household in listed.items() if uuid in linked and linked[uuid] != household)
    if unlinked or now != households or held:
        _log(f"openrosa: {unlinked} records on another household, {now - households} households registered anew, {held} held")
    return unlinked


def count_floor(engine, sent: set[str]) -> int:
    with engine.connect() as conn:
        return len(set(conn.execute(sa.text("SELECT uuid FROM bench_floor_rows")).scalars()) & sent)


def catch_up(engine, ended_wall: float) -> None:
    """Wait until the worker has emptied the outbox; print catch_up_s (seconds since the load ended)."""
    if not sa.inspect(engine).has_table("outbox"):
        _log("catch-up not measured: the database has no outbox table yet")
        return
    while True:
        with engine.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
        waited = time.time() - ended_wall
        if left == 0:
            _log(f"catch_up_s={waited:.1f}")
            return
        if waited > CATCH_UP_TIMEOUT:
            _log(f"catch_up_s=timeout: the outbox still holds {left} rows {CATCH_UP_TIMEOUT} s after the load")
            return
        time.sleep(0.1)


def show_server_logs(tmp: str) -> None:
    """The busy-database answers (503) the server logged, counted by kind, and the tail of any traceback."""
    for name in ("gunicorn.log", "worker.log"):
        path = Path(tmp) / name
        text = path.read_text(errors="replace") if path.exists() else ""
        busy = Counter(line for line in text.splitlines() if line.startswith("database busy or full"))
        for line, count in busy.most_common(5):
            _log(f"{name}: {count} x {line}")
        if "Traceback" in text:
            _log(f"--- {name}: {text.count('Traceback')} tracebacks; the tail:\n{text[-3000:]}")


def summary(name: str, report: dict, collect: bool = False) -> None:
    _log(
        f"{name}: {len(report['latencies'])} {'submission' if collect else 'batch'} requests in {report['elapsed_s']:.1f} s "
        f"({'HEADs' if collect else 'logins'} {report['login_s']:.1f} s before), {report['errors_5xx']} answered 5xx, "
        f"{sum(report['transport_errors'].values())} without answer {report['transport_errors'] or ''}, "
        f"{report['refused']} records refused, "
        f"{len(report['errors'])} errors"
    )
    for error in report["errors"][:5]:
        _log(f"  {name} error: {error}")


def p95_ms(latencies: list[float]) -> float:
    return latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL instead of SQLite")
    parser.add_argument(
        "--openrosa", action="store_true", help="the real pass as ODK Collect: each record an XML submission of its own"
    )
    parser.add_argument("--database-url", help="an empty database to use instead (the bench creates the tables)")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--records", type=int, default=40, help="records queued on each phone")
    parser.add_argument("--batch", type=int, default=20, help="records per batch")
    parser.add_argument("--resend", type=float, default=0.2, help="share of batches whose reply is lost")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (1: gunicorn's sync workers, as in production)"
    )
    parser.add_argument("--seed", type=int, default=16, help="random seed of the ward and the answers")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a pass is stopped")
    parser.add_argument(
        "--rounds",
        type=int,
        help="whole runs (a fresh ward and server each, seeds 16, 17, ...); the line gives "
        "their medians (default 3; 1 with --database-url)",
    )
    parser.add_argument("--generate", nargs=2, metavar=("PLAN", "REPORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.database_url else 3
    if args.generate:
        from load_phones import generate

        return generate(*args.generate)

    if args.database_url and args.rounds != 1:
        parser.error("--database-url names one empty database: one round (--rounds 1)")
    rounds = [one_round(args, number) for number in range(args.rounds)]
    if len(rounds) > 1:
        for number, figures in enumerate(rounds, start=1):
            _log(f"round {number}: " + " ".join(f"{key}={_shown(value)}" for key, value in figures.items() if key != "clean"))
    middle = {key: statistics.median(r[key] for r in rounds) for key in ("stored_per_s", "p95_ms", "floor_per_s")}
    ratio = statistics.median(r["ratio_floor"] for r in rounds)  # each round's own floor
    worst = {key: max(r[key] for r in rounds) for key in ("duplicates", "lost")}
    print(
        f"stored_per_s={middle['stored_per_s']:.0f} p95_ms={middle['p95_ms']:.0f} floor_per_s={middle['floor_per_s']:.0f} "
        f"ratio_floor={ratio:.2f} sent={min(r['sent'] for r in rounds)} stored={min(r['stored'] for r in rounds)} "
        f"duplicates={worst['duplicates']} lost={worst['lost']} errors_5xx={sum(r['errors_5xx'] for r in rounds)}"
    )
    return 0 if all(r["clean"] for r in rounds) else 1


def _shown(value) -> str:
    return (
        f"{value:.2f}" if isinstance(value, float) and value < 10 else f"{value:.0f}" if isinstance(value, float) else str(value)
    )


def one_round(args, number: int) -> dict:
    """One seeded ward, one server, the floor pass then the real pass: the round's figures."""
    from load_seed import seed

    with tempfile.TemporaryDirectory(prefix="survey-load-") as tmp:
        pg, url = start_postgres() if args.postgres else (None, args.database_url or f"sqlite:///{tmp}/load.db")
        server = worker = None
        try:
            started = time.perf_counter()
            plans = seed(url, args.phones, args.records, random.Random(args.seed + number), collect=args.openrosa)
            sent = {item["uuid"] for plan in plans for item in plan["queue"]}
            listed = {item["uuid"]: item["household_id"] for plan in plans for item in plan["queue"]}
            _log(f"seeded {len(plans)} phones, {len(sent)} records in {time.perf_counter() - started:.1f} s")
            port, env = free_port(), server_env(url, tmp)
            server = start_gunicorn(env, port, tmp, args.workers, args.threads)
            worker = start_worker(env, tmp)
            plan = {
                "base": f"http://127.0.0.1:{port}",
                "timeout": args.timeout,
                "request_timeout": args.timeout,
                "phones": batches_of(plans, args.batch, args.resend),
            }
            floor = run_pass(plan, FLOOR_PATH, tmp, "floor")
            real = run_pass(plan, COLLECT_PATH if args.openrosa else REAL_PATH, tmp, "real")
            engine = sa.create_engine(url)
            catch_up(engine, real["ended_wall"])
            stored, duplicates = count_rows(engine, sent)
            if args.openrosa:  # stored means stored on its listed household
                stored -= count_linked(engine, listed, len(listed))
            floor_stored = count_floor(engine, sent)
            engine.dispose()
        finally:
            stop(worker)
            stop(server)
            show_server_logs(tmp)
            if pg is not None:
                pg.stdin.close()
                pg.wait(30)
    summary("floor", floor)
    summary("real", real, args.openrosa)
    if floor_stored != len(sent):
        _log(f"the floor table holds {floor_stored} of the {len(sent)} records sent")
    stored_per_s = stored / real["elapsed_s"]
    floor_per_s = floor_stored / floor["elapsed_s"]
    errors_5xx = floor["errors_5xx"] + real["errors_5xx"]
    clean = (
        stored == len(sent)
        and duplicates == 0
        and floor_stored == len(sent)
        and errors_5xx == 0
        and not floor["errors"]
        and not real["errors"]
        and real["refused"] == 0
    )
    return {
        "stored_per_s": stored_per_s,
        "p95_ms": p95_ms(real["latencies"]),
        "floor_per_s": floor_per_s,
        "ratio_floor": stored_per_s / floor_per_s if floor_per_s else 0.0,
        "sent": len(sent),
        "stored": stored,
        "duplicates": duplicates,
        "lost": len(sent) - stored,
        "errors_5xx": errors_5xx,
        "clean": clean,
    }


if __name__ == "__main__":
    sys.exit(main())

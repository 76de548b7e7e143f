"""Load test: many phones syncing their queues at once against gunicorn, on loopback only; bounded.

Run `python bench/load.py` (SQLite in WAL, a temporary file) or `python bench/load.py --postgres`
(a throwaway PostgreSQL started with tests/pg_throwaway.sh; needs root). The script seeds one ward
(teams, groups, one household per record to send, one surveyor per phone), starts gunicorn on a
free port, logs every phone in through the login form, then each phone sends its queue in batches;
some replies are "lost" (the phone sends the same batch again). Afterwards it counts the rows:
every record sent must be stored exactly once. Last line:
`stored_per_s=N p95_ms=P sent=S stored=T duplicates=D lost=L`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SURVEY_SECRET_KEY", "bench-secret-key")

import aiohttp
import sqlalchemy as sa

PASSWORD = "bench-mat-khau-1"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


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
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return shell, shell.stdout.readline().strip()


def seed(url: str, phones: int, records_per_phone: int, phones_per_team: int = 10) -> list[dict]:
    """One ward: a team and a group per `phones_per_team` phones, a household per record; the phones' plans."""
    from survey_app import create_app
    from survey_app.accounts.models import Role
    from survey_app.accounts.operations import create_user
    from survey_app.collection.models import Household
    from survey_app.extensions import db
    from survey_app.teams.models import Assignment, SurveyTeam
    from survey_app.wards.models import City, ResidentialGroup, Ward
    from tests.collection.forms import publish_test_form

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    plans = []
    with app.app_context():
        db.create_all()
        city = City(code="HP", name="Hải Phòng")
        db.session.add(city)
        db.session.flush()
        ward = Ward(city_id=city.id, code="BENCH", name="Phường Thử Tải")
        db.session.add(ward)
        db.session.flush()
        publish_test_form(ward)
        for team_no in range((phones + phones_per_team - 1) // phones_per_team):
            group = ResidentialGroup(ward_id=ward.id, code=f"TDP{team_no + 1:02d}", name=f"Tổ {team_no + 1}",
                                     expected_households=phones_per_team * records_per_phone)
            team = SurveyTeam(ward_id=ward.id, number=team_no + 1, name=f"Tổ khảo sát {team_no + 1}")
            db.session.add_all([group, team])
            db.session.flush()
            db.session.add(Assignment(ward_id=ward.id, survey_team_id=team.id, residential_group_id=group.id,
                                      starts_on=date(2025, 1, 1)))
            members = range(team_no * phones_per_team, min(phones, (team_no + 1) * phones_per_team))
            for phone in members:
                user = create_user(username=f"phone{phone:04d}", full_name=f"Khảo sát viên {phone}",
                                   role=Role.SURVEYOR, password=PASSWORD, ward=ward, team=team)
                first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Household.id), 0)))
                db.session.execute(sa.insert(Household), [
                    {"ward_id": ward.id, "residential_group_id": group.id, "address": f"Số {n}",
                     "head_name": f"Chủ hộ {phone}-{n}"} for n in range(records_per_phone)])
                ids = db.session.scalars(sa.select(Household.id).where(Household.id > first)
                                         .order_by(Household.id)).all()
                plans.append({"username": user.username, "group": group.code, "households": ids})
        db.session.commit()
        db.engine.dispose()
    return plans


def start_gunicorn(url: str, port: int, instance: str, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "SURVEY_DATABASE_URL": url, "SURVEY_INSTANCE_PATH": instance}
    with open(Path(instance) / "gunicorn.log", "wb") as log:  # the child keeps its own copy
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads",
             str(threads), "-b", f"127.0.0.1:{port}", "--backlog", "2048", "survey_app:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn did not start: {(Path(instance) / 'gunicorn.log').read_text()[-2000:]}")
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start in 30 s")


class Phone:
    """One surveyor's phone: a session, a CSRF token and a queue of records in batches."""

    def __init__(self, base: str, plan: dict, batch_size: int, index: int):
        from tests.collection.conftest import record
        from tests.collection.forms import answers

        self.base, self.plan, self.index = base, plan, index
        queue = [record(household_id, answers=answers(group_code=plan["group"])) for household_id in plan["households"]]
        self.batches = [queue[i:i + batch_size] for i in range(0, len(queue), batch_size)]
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.retries = 0

    async def run(self, session: aiohttp.ClientSession) -> None:
        for attempt in range(30):  # the login writes too: it may meet a busy database (503) and retry
            async with session.get(f"{self.base}/login") as response:
                token = TOKEN.search(await response.text()).group(1)
            form = {"username": self.plan["username"], "password": PASSWORD, "csrf_token": token}
            async with session.post(f"{self.base}/login", data=form, allow_redirects=False) as response:
                if response.status == 302:
                    break
                if response.status < 500 or attempt == 29:
                    self.errors.append(f"login {response.status}")
                    return
                self.retries += 1
            await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
        async with session.get(f"{self.base}/api/phone/csrf") as response:
            headers = {"X-CSRFToken": (await response.json())["csrf_token"]}
        for number, batch in enumerate(self.batches):
            results = await self._send(session, batch, headers)
            if results is not None and (self.index + number) % 5 == 0:  # the reply was "lost": send again
                again = await self._send(session, batch, headers)
                if again is not None and any(r.get("result") != "duplicate" for r in again):
                    self.errors.append("a re-sent record was not recognised as a duplicate")

    async def _send(self, session, batch, headers, attempts: int = 30):
        """Send a batch until the server answers 200 (the phone keeps its queue and retries a 5xx)."""
        for attempt in range(attempts):
            started = time.perf_counter()
            async with session.post(f"{self.base}/api/submissions/batch", json={"items": batch},
                                    headers=headers) as response:
                body = await response.json(content_type=None)
                self.latencies.append(time.perf_counter() - started)
                if response.status == 200:
                    bad = [r for r in body["results"] if r["status"] not in (200, 201)]
                    if bad:
                        self.errors.append(f"refused: {bad[0]}")
                    return body["results"]
                if response.status < 500:
                    self.errors.append(f"batch {response.status}: {body}")
                    return None
            self.retries += 1
            await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
        self.errors.append("batch never accepted")
        return None


async def sync_all(phones: list[Phone], timeout: float) -> None:
    async def one(phone: Phone):
        jar = aiohttp.CookieJar(unsafe=True)  # keep cookies of 127.0.0.1
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), cookie_jar=jar) as session:
            await phone.run(session)

    await asyncio.wait_for(asyncio.gather(*(one(phone) for phone in phones)), timeout)


def count_rows(url: str, sent: set[str]) -> tuple[int, int]:
    """(distinct records of `sent` stored as submission and visit, extra rows for the same records)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        uuids = [row[0] for row in conn.execute(sa.text("SELECT uuid FROM submissions"))]
        visits = [row[0] for row in conn.execute(sa.text("SELECT client_uuid FROM visits"))]
    engine.dispose()
    stored = set(uuids) & set(visits) & sent
    return len(stored), (len(uuids) - len(set(uuids))) + (len(visits) - len(set(visits)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL instead of SQLite")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--records", type=int, default=40, help="records queued on each phone")
    parser.add_argument("--batch", type=int, default=20, help="records per batch")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=300, help="seconds before the run is stopped")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="survey-load-") as tmp:
        pg = None
        if args.postgres:
            pg, url = start_postgres()
        else:
            url = f"sqlite:///{tmp}/load.db"
        server = None
        try:
            started = time.perf_counter()
            plans = seed(url, args.phones, args.records)
            _log(f"seeded {len(plans)} phones in {time.perf_counter() - started:.1f} s")
            port = free_port()
            server = start_gunicorn(url, port, tmp, args.workers, args.threads)
            phones = [Phone(f"http://127.0.0.1:{port}", plan, args.batch, i) for i, plan in enumerate(plans)]
            sent = {item["uuid"] for phone in phones for batch in phone.batches for item in batch}
            started = time.perf_counter()
            asyncio.run(sync_all(phones, args.timeout))
            elapsed = time.perf_counter() - started
        finally:
            if server is not None:
                server.terminate()
                server.wait(10)
                errors_logged = (Path(tmp) / "gunicorn.log").read_text(errors="replace")
                if "Traceback" in errors_logged:
                    _log(errors_logged[-3000:])
        stored, duplicates = count_rows(url, sent)
        if pg is not None:
            pg.stdin.close()
            pg.wait(30)
    latencies = sorted(latency for phone in phones for latency in phone.latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else 0
    errors = [error for phone in phones for error in phone.errors]
    for error in errors[:5]:
        _log(f"error: {error}")
    retries = sum(phone.retries for phone in phones)
    _log(f"{len(latencies)} batch requests in {elapsed:.1f} s, {retries} answered 5xx and sent again, "
         f"{len(errors)} errors")
    print(f"stored_per_s={stored / elapsed:.0f} p95_ms={p95:.0f} sent={len(sent)} stored={stored} "
          f"duplicates={duplicates} lost={len(sent) - stored}")
    return 0 if stored == len(sent) and duplicates == 0 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())

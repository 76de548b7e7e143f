"""bench/load.py's load generator, run in its own process: `python bench/load.py --generate PLAN REPORT`.

PLAN (JSON, written by bench/load.py) holds the server's address, the batch endpoint of this pass,
the password, whether re-sent batches must come back as duplicates, and per phone its username and
batches, each marked if its reply is "lost" (the phone sends it again, attempt 2). Every phone logs
in through the login form and takes a CSRF token first; then all start sending at once, each its
batches one after the other. A 5xx answer or a broken connection is retried with a growing pause,
as the phone does; every 5xx is counted. The report (JSON, to the path given) holds the sending
phase's wall time, each request's latency and the problems met.

With "collect" in the plan (bench/load.py --openrosa's real pass) each phone is ODK Collect instead
(CollectPhone): the path names the device's token, each record of a batch goes as the XML instance
Collect writes (`instance_xml`), POSTed on its own as multipart/form-data with Collect's headers,
and a "lost" batch's records are sent again, one by one, each due to answer 202.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape, quoteattr

import aiohttp

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: Tries of one request before the phone gives up (it would keep its queue for later).
ATTEMPTS = 30
#: Headers ODK Collect sends on every OpenRosa request (its OkHttp client; tests/openrosa/conftest.py).
COLLECT_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "User-Agent": "org.odk.collect.android/v2024.3.1 okhttp/4.12.0",
    "Accept-Encoding": "gzip,deflate",
}
#: The multipart boundary of the submissions (OkHttp makes a random one per request; any will do).
BOUNDARY = "bench-collect-3f9a1c2e-6d4b-4e8a-9b7c-5a2d1e0f8c7b"
#: The surveyors' phones' clock (Collect writes start and end in the device's local time).
LOCAL = timezone(timedelta(hours=7))
_MESSAGE = re.compile(r"<message[^>]*>(.*?)</message>", re.S)


def _encode(items: list[dict]) -> bytes:
    return json.dumps({"items": items}, ensure_ascii=False, separators=(",", ":")).encode()


def _again(item: dict) -> dict:
    """The same record sent a second time: only the transport fields change."""
    return {**item, "attempt": 2, "sent_at": item["sent_at"].replace("Z", ".5Z")}


def _local_time(moment: str) -> str:
    """A record's UTC time as Collect writes a start/end answer: local, with milliseconds and offset."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(LOCAL).isoformat(timespec="milliseconds")


def _elements(answers: dict) -> str:
    """The answers as elements: a repeat's entries as repeated elements, a select_multiple space-separated."""
    parts = []
    for name, value in answers.items():
        if isinstance(value, list) and value and all(isinstance(entry, dict) for entry in value):
            parts.extend(f"<{name}>{_elements(entry)}</{name}>" for entry in value)
        elif isinstance(value, list):
            parts.append(f"<{name}>{escape(' '.join(str(choice) for choice in value))}</{name}>")
        elif value is None or value == "":
            parts.append(f"<{name}/>")
        else:
            parts.append(f"<{name}>{escape(str(value))}</{name}>")
    return "".join(parts)


def instance_xml(item: dict, times: bool = True) -> bytes:
    """A phone's JSON record as the XML instance ODK Collect writes (JavaRosa's serialisation, as
    tests/openrosa/conftest.py's instance_xml): the form's id and version on the root, `start` and `end`
    (when `times`) from started_at and finished_at, one element per answer, and meta/instanceID with
    the record's UUID, so a resend is the same record."""
    head = (
        "<?xml version='1.0' ?>"
        '<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f"id={quoteattr(item['form_id'])} version={quoteattr(item['form_version'])}>"
    )
    when = f"<start>{_local_time(item['started_at'])}</start><end>{_local_time(item['finished_at'])}</end>" if times else ""
    meta = f"<meta><orx:instanceID>uuid:{item['uuid']}</orx:instanceID></meta>"
    return (head + when + _elements(item["answers"]) + meta + "</data>").encode()


def multipart(xml: bytes) -> bytes:
    """The body of Collect's POST: one part xml_submission_file (submission.xml, text/xml), as OkHttp's
    MultipartBody writes it (with the part's Content-Length)."""
    part = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="xml_submission_file"; filename="submission.xml"\r\n'
        "Content-Type: text/xml\r\n"
        f"Content-Length: {len(xml)}\r\n\r\n"
    )
    return part.encode() + xml + f"\r\n--{BOUNDARY}--\r\n".encode()


class Phone:
    """One surveyor's phone: a session, a CSRF token and its batches, encoded before the clock starts."""

    def __init__(self, plan: dict, phone: dict):
        self.base, self.path, self.password = plan["base"], plan["path"], plan["password"]
        self.expect_duplicates = plan["expect_duplicates"]
        self.username = phone["username"]
        self.batches = [
            (len(b["items"]), _encode(b["items"]), _encode([_again(i) for i in b["items"]]) if b["resend"] else None)
            for b in phone["batches"]
        ]
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.errors_5xx = self.refused = 0
        #: Requests that got no answer (a broken or timed-out connection), by exception name.
        self.transport_errors: dict[str, int] = {}
        self.headers: dict = {}

    async def login(self, session: aiohttp.ClientSession) -> bool:
        for attempt in range(ATTEMPTS):  # the login writes too: a busy server may answer 5xx
            async with session.get(f"{self.base}/login") as response:
                status, page = response.status, await response.text()
            if status < 500:
                match = TOKEN.search(page)
                if match is None:
                    self.errors.append(f"login page {status} without a CSRF token")
                    return False
                form = {"username": self.username, "password": self.password, "csrf_token": match.group(1)}
                async with session.post(f"{self.base}/login", data=form, allow_redirects=False) as response:
                    status = response.status
                if status == 302:
                    break
                if status < 500:
                    self.errors.append(f"login {status}")
                    return False
            self.errors_5xx += 1
            await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
        else:
            self.errors.append("login never accepted")
            return False
        async with session.get(f"{self.base}/api/phone/csrf") as response:
            self.headers = {"X-CSRFToken": (await response.json())["csrf_token"], "Content-Type": "application/json"}
        return True

    async def send_all(self, session: aiohttp.ClientSession) -> None:
        for count, body, again in self.batches:
            results = await self._post(session, body, count)
            if results is None or again is None:
                continue
            repeated = await self._post(session, again, count)  # the first reply was "lost"
            if self.expect_duplicates and repeated is not None and any(r.get("result") != "duplicate" for r in repeated):
                self.errors.append(f"a re-sent record was not recognised as a duplicate: {repeated[0]}")

    async def _post(self, session: aiohttp.ClientSession, body: bytes, count: int):
        """Send one batch until the server answers 200; its results, or None when it never does."""
        for attempt in range(ATTEMPTS):
            started = time.perf_counter()
            try:
                async with session.post(f"{self.base}{self.path}", data=body, headers=self.headers) as response:
                    status, text = response.status, await response.text()
            except (TimeoutError, aiohttp.ClientError) as error:
                self.transport_errors[type(error).__name__] = self.transport_errors.get(type(error).__name__, 0) + 1
                self.latencies.append(time.perf_counter() - started)
                if attempt == ATTEMPTS - 1:
                    self.errors.append(f"batch: {type(error).__name__}")
                await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
                continue
            self.latencies.append(time.perf_counter() - started)
            if status == 200:
                results = json.loads(text)["results"]
                bad = [r for r in results if r.get("status") not in (200, 201)]
                self.refused += len(bad)
                if bad:
                    self.errors.append(f"refused: {bad[0]}")
                if len(results) != count:
                    self.errors.append(f"{len(results)} results for {count} records")
                return results
            if status < 500:
                self.errors.append(f"batch {status}: {text[:300]}")
                return None
            self.errors_5xx += 1
            await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
        self.errors.append("batch never accepted")
        return None


class CollectPhone:
    """One surveyor's ODK Collect (bench/load.py --openrosa): no login, its device's token is in the
    path; a HEAD of the submission URL first (Collect's check before it uploads), then each record
    POSTed on its own as multipart (encoded before the clock starts). A first send must answer 201, a
    re-send 202 ("already received"); a 5xx or a broken connection is retried as Collect retries."""

    def __init__(self, plan: dict, phone: dict):
        self.url = plan["base"] + plan["path"].format(token=phone["token"])
        self.username = phone["username"]
        self.batches = [([multipart(instance_xml(i, phone["times"])) for i in b["items"]], b["resend"]) for b in phone["batches"]]
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.errors_5xx = self.refused = 0
        self.transport_errors: dict[str, int] = {}

    @staticmethod
    def _headers(**more) -> dict:
        return {**COLLECT_HEADERS, "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT+00:00", time.gmtime()), **more}

    async def login(self, session: aiohttp.ClientSession) -> bool:
        for attempt in range(ATTEMPTS):
            async with session.head(self.url, headers=self._headers()) as response:
                status = response.status
                limit = response.headers.get("X-OpenRosa-Accept-Content-Length")
            if status == 204 and limit:
                return True
            if status < 500:
                self.errors.append(f"HEAD submission {status} (accept length {limit})")
                return False
            self.errors_5xx += 1
            await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
        self.errors.append("HEAD submission never answered")
        return False

    async def send_all(self, session: aiohttp.ClientSession) -> None:
        for bodies, resend in self.batches:
            for body in bodies:
                await self._post(session, body, 201)
            if resend:  # the replies were "lost": Collect sends the same instances again
                for body in bodies:
                    await self._post(session, body, 202)

    async def _post(self, session: aiohttp.ClientSession, body: bytes, expected: int) -> None:
        headers = self._headers(**{"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        for attempt in range(ATTEMPTS):
            started = time.perf_counter()
            try:
                async with session.post(self.url, data=body, headers=headers) as response:
                    status, text = response.status, await response.text()
            except (TimeoutError, aiohttp.ClientError) as error:
                self.transport_errors[type(error).__name__] = self.transport_errors.get(type(error).__name__, 0) + 1
                self.latencies.append(time.perf_counter() - started)
                if attempt == ATTEMPTS - 1:
                    self.errors.append(f"submission: {type(error).__name__}")
                await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
                continue
            self.latencies.append(time.perf_counter() - started)
            if status >= 500:
                self.errors_5xx += 1
                await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
                continue
            found = _MESSAGE.search(text)
            message = found.group(1) if found else text[:300]
            # a retry may meet the record its unanswered try stored: "already received" is right then
            if status == expected or (status == 202 and attempt > 0):
                return
            if status == 201:
                self.errors.append(f"a re-sent record was stored again, not recognised as received (201): {message}")
            else:
                self.refused += 1
                self.errors.append(f"submission {status} where {expected} was due: {message}")
            return
        self.errors.append("submission never accepted")


async def _run(plan: dict) -> dict:
    kind = CollectPhone if plan.get("collect") else Phone
    phones = [kind(plan, phone) for phone in plan["phones"]]
    go = asyncio.Event()
    logged_in = asyncio.Semaphore(0)
    clock: dict[str, float] = {}

    async def one(phone: Phone) -> None:
        timeout = aiohttp.ClientTimeout(total=plan["request_timeout"])
        # Idle connections are dropped before gunicorn's 2 s keep-alive ends: reusing one the server is
        # closing would fail the request (a phone waiting for the others to log in idles that long).
        connector = aiohttp.TCPConnector(keepalive_timeout=1.0)
        async with aiohttp.ClientSession(
            timeout=timeout, cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector
        ) as session:
            try:
                ready = await phone.login(session)
            except (TimeoutError, aiohttp.ClientError) as error:
                phone.errors.append(f"login: {type(error).__name__}")
                ready = False
            finally:
                logged_in.release()
            await go.wait()
            if ready:
                await phone.send_all(session)

    async def start_when_all_logged_in() -> None:
        for _ in phones:
            await logged_in.acquire()
        clock["login_s"] = time.perf_counter() - clock["begun"]
        clock["started"], clock["started_wall"] = time.perf_counter(), time.time()
        go.set()

    clock["begun"] = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(start_when_all_logged_in(), *(one(p) for p in phones)), plan["timeout"])
    elapsed = time.perf_counter() - clock["started"]
    return {
        "elapsed_s": elapsed,
        "login_s": clock["login_s"],
        "ended_wall": clock["started_wall"] + elapsed,
        "latencies": sorted(latency for phone in phones for latency in phone.latencies),
        "errors_5xx": sum(phone.errors_5xx for phone in phones),
        "transport_errors": dict(sum((Counter(phone.transport_errors) for phone in phones), Counter())),
        "refused": sum(phone.refused for phone in phones),
        "errors": [error for phone in phones for error in phone.errors],
    }


def generate(plan_path: str, report_path: str) -> int:
    """Run one pass of the plan and write its report."""
    with open(plan_path, encoding="utf-8") as handle:
        plan = json.load(handle)
    try:
        report = asyncio.run(_run(plan))
    except TimeoutError:
        print(f"the pass did not end within {plan['timeout']} s", file=sys.stderr)
        return 1
    with open(report_path, "w", encoding="utf-8") as handle:
        json.dump(report, handle)
    return 0

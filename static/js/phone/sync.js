/* Sending the queue: in batches, with retry and exponential backoff; one refused record never
   blocks the others. A record leaves the queue only when the server has answered for it. */
import { HttpError, postBlob, postJSON, sha256 } from "./api.js";
import { files, records } from "./store.js";

const STORED = new Set([200, 201]);
const REFUSED = new Set([400, 403, 404, 413, 422]);

export function createSync({ userId, settings, onChange, onLogin, onMapping }) {
  let running = null;
  let timer = null;
  let failures = 0;

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(() => run(), delay);
  }

  function backoff() {
    failures += 1;
    const base = Math.min(settings.backoff_ms * 2 ** (failures - 1), settings.max_backoff_ms);
    schedule(Math.round(base * (0.8 + Math.random() * 0.4)));
  }

  async function settle(record, status, receipt) {
    if (STORED.has(status)) {
      const { answers, ...rest } = record.payload; /* the server has the answers: keep only what the list shows */
      const missing = receipt.missing_files || [];
      if (missing.length && receipt.submission_id) { /* its photos and files go next, one by one */
        await records.put({ ...record, payload: rest, state: "files", receipt, missing, error: null });
      } else {
        await records.put({ ...record, payload: rest, state: "sent", receipt, error: null, sentAt: Date.now() });
        await dropFiles(record.uuid);
      }
      if (receipt.household_client_uuid && receipt.household_id) await onMapping(receipt);
    } else if (status === 409) {
      await records.put({ ...record, state: "conflict", error: { status, ...receipt } });
    } else if (REFUSED.has(status)) {
      await records.put({ ...record, state: "refused", error: { status, quarantined: status === 422, ...receipt } });
    } else {
      return false;
    }
    return true;
  }

  async function dropFiles(uuid) {
    for (const file of await files.ofRecord(uuid)) await files.remove(uuid, file.name);
  }

  /* The files of stored records, each on its own: what arrived is never sent again (resumable per file). */
  async function sendFiles(pending) {
    for (const record of pending) {
      const missing = [...record.missing];
      while (missing.length) {
        const name = missing[0];
        const stored = await files.get(record.uuid, name);
        if (!stored) {
          await records.put({ ...record, missing, state: "refused", error: { status: 404, message: name } });
          break;
        }
        const digest = await sha256(stored.blob);
        const url = `/api/submissions/${record.receipt.submission_id}/files/${encodeURIComponent(name)}`;
        const { status, body } = await postBlob(url, stored.blob, digest ? { "X-File-SHA256": digest } : {});
        if (status === 401) return "login";
        if (status === 200 || status === 201) {
          missing.shift();
          await records.put({ ...record, missing, state: missing.length ? "files" : "sent", sentAt: Date.now() });
          continue;
        }
        if (status >= 500 || status === 429) return "retry";
        const message = (body && (body.message || (body.error && body.error.message))) || "";
        await records.put({ ...record, missing, state: status === 409 ? "conflict" : "refused", error: { status, message } });
        break;
      }
      if (!missing.length) await dropFiles(record.uuid);
    }
    return "ok";
  }

  /* One more failed attempt, on the stored copy (it may have been settled meanwhile). */
  async function bump(record, wait) {
    const fresh = await records.get(record.uuid);
    if (fresh && fresh.state === "queued") {
      await records.put({ ...fresh, attempts: (fresh.attempts || 0) + 1, nextAt: wait ? Date.now() + wait : fresh.nextAt });
    }
  }

  function wire(record) {
    return { ...record.payload, sent_at: new Date().toISOString(), attempt: (record.attempts || 0) + 1 };
  }

  async function sendBatch(batch) {
    const { status, body } = await postJSON("/api/submissions/batch", { items: batch.map(wire) });
    if (status === 200 && Array.isArray(body.results)) {
      for (const [index, result] of body.results.entries()) await settle(batch[index], result.status, result);
      return "ok";
    }
    if (status === 401) return "login";
    if (status >= 500 && batch.length > 1) return "split";
    return "retry";
  }

  /* Sent alone, a record that makes the server fail cannot hold back the rest of the batch. */
  async function sendAlone(batch) {
    let delivered = 0;
    for (const record of batch) {
      const { status, body } = await postJSON("/api/submissions", wire(record));
      if (status === 401) return "login";
      if (await settle(record, status, body)) delivered += 1;
      else await bump(record, settings.max_backoff_ms);
    }
    return delivered ? "ok" : "retry";
  }

  async function loop(manual) {
    for (;;) {
      const withFiles = (await records.ofUser(userId)).filter((r) => r.state === "files");
      if (withFiles.length) {
        let sent;
        try {
          sent = await sendFiles(withFiles);
        } catch (error) {
          sent = error instanceof HttpError && error.status === 401 ? "login" : "retry";
        }
        await onChange();
        if (sent === "login") return "login";
        if (sent === "retry") { backoff(); return "retry"; }
      }
      const now = Date.now();
      const due = (await records.ofUser(userId)).filter((r) => r.state === "queued" && (manual || !r.nextAt || r.nextAt <= now));
      if (!due.length) {
        failures = 0;
        return "done";
      }
      const batch = due.slice(0, settings.batch_size);
      let outcome;
      try {
        outcome = await sendBatch(batch);
        if (outcome === "split") outcome = await sendAlone(batch);
      } catch (error) {
        /* The session ended (e.g. fetching the CSRF token answered 401): sign in again; otherwise no network,
           server gone, or the reply was cut off. Either way nothing is lost. */
        outcome = error instanceof HttpError && error.status === 401 ? "login" : "retry";
      }
      await onChange();
      if (outcome === "login") return "login";
      if (outcome === "retry") {
        for (const record of batch) await bump(record, 0);
        backoff();
        return "retry";
      }
      failures = 0;
    }
  }

  async function run(manual = false) {
    if (running) return running;
    clearTimeout(timer);
    if (!navigator.onLine) return "offline"; /* the "online" event starts the next attempt */
    running = loop(manual).then(async (result) => {
      if (result === "login") onLogin();
      await onChange(result);
      return result;
    }).finally(() => { running = null; });
    return running;
  }

  /* The connection is back: start again from the shortest wait. */
  function reconnected() {
    failures = 0;
    return run();
  }

  return { run, reconnected, stop: () => clearTimeout(timer) };
}

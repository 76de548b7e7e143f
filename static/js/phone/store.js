/* IndexedDB on the phone: drafts and the send queue survive reloads and restarts.
   Records are namespaced by user id: another account logging in on a shared phone never lists them. */
const NAME = "survey-phone";
let opening = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function open() {
  if (!opening) {
    const request = indexedDB.open(NAME, 2);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("records", { keyPath: "uuid" }).createIndex("user", "userId");
        db.createObjectStore("meta", { keyPath: "key" });
      }
      /* Photos, sound, video and files of the records, as blobs, until the server has them. */
      if (event.oldVersion < 2) db.createObjectStore("files", { keyPath: ["uuid", "name"] }).createIndex("record", "uuid");
    };
    opening = promised(request);
  }
  return opening;
}

async function tx(store, mode, work) {
  const db = await open();
  const transaction = db.transaction(store, mode);
  const result = await work(transaction.objectStore(store));
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
  return result;
}

export const records = {
  get: (uuid) => tx("records", "readonly", (s) => promised(s.get(uuid))),
  put: (record) => tx("records", "readwrite", (s) => promised(s.put({ ...record, updatedAt: Date.now() }))),
  remove: (uuid) => tx("records", "readwrite", (s) => promised(s.delete(uuid))),
  ofUser: (userId) => tx("records", "readonly", (s) => promised(s.index("user").getAll(userId)))
    .then((list) => list.sort((a, b) => a.createdAt - b.createdAt)),
  sentByOthers: (userId) => tx("records", "readonly", (s) => promised(s.getAll()))
    .then((list) => list.filter((r) => r.userId !== userId && r.state === "sent")),
  countOthers: (userId) => tx("records", "readonly", (s) => promised(s.getAll()))
    .then((list) => list.filter((r) => r.userId !== userId && r.state !== "sent").length),
};

export const files = {
  put: (uuid, name, blob) => tx("files", "readwrite", (s) => promised(s.put({ uuid, name, blob, type: blob.type, savedAt: Date.now() }))),
  get: (uuid, name) => tx("files", "readonly", (s) => promised(s.get([uuid, name]))),
  remove: (uuid, name) => tx("files", "readwrite", (s) => promised(s.delete([uuid, name]))),
  ofRecord: (uuid) => tx("files", "readonly", (s) => promised(s.index("record").getAll(uuid))),
};

export const meta = {
  get: (key) => tx("meta", "readonly", (s) => promised(s.get(key))).then((row) => row && row.value),
  set: (key, value) => tx("meta", "readwrite", (s) => promised(s.put({ key, value }))),
};

/* Unsent: anything the server has not confirmed (drafts are not finished, so they are not counted). */
export const UNSENT = new Set(["queued", "files", "refused", "conflict"]);

export async function askPersistence() {
  try {
    if (navigator.storage && navigator.storage.persist && !(await navigator.storage.persisted())) {
      return await navigator.storage.persist();
    }
  } catch (error) { /* not granted: data still lives in IndexedDB */ }
  return false;
}

/* Records the ward staff sent back to this surveyor ("has issues", with a comment): kept on the phone,
   so they can be fixed offline too, and sent again through the queue with `fix_of` (the version they
   were sent back at). The server stores the fix as a new version and puts it back in the review queue. */
import { getJSON } from "./api.js";
import { $, app, go, show } from "./shell.js";
import { records } from "./store.js";
import { h, t } from "./ui.js";

const FIXABLE = new Set(["returned", "draft"]);

/* What waits for a fix on this phone: sent back and not opened yet, or opened and not finished. */
export async function toFix() {
  return (await records.ofUser(app.user.id)).filter((r) => r.fix && FIXABLE.has(r.state));
}

/* The server's list, kept in IndexedDB. A record no longer sent back (decided meanwhile) goes, unless
   its fix was started; one being fixed or waiting to go is left as it is. */
export async function pullSentBack() {
  let list;
  try {
    list = (await getJSON("/api/phone/sent-back")).records;
  } catch (error) {
    return false; /* offline: the list kept from last time stays */
  }
  const wanted = new Set(list.map((item) => item.uuid));
  const mine = new Map((await records.ofUser(app.user.id)).map((r) => [r.uuid, r]));
  for (const record of mine.values()) {
    if (record.state === "returned" && !wanted.has(record.uuid)) await records.remove(record.uuid);
  }
  for (const item of list) {
    const held = mine.get(item.uuid);
    if (held && held.state !== "sent" && held.state !== "returned") continue;
    if (held && held.state === "returned" && held.fix.version === item.version) continue;
    await records.put({
      uuid: item.uuid, userId: app.user.id, groupId: item.group_id, label: item.label, attempts: 0,
      createdAt: held ? held.createdAt : Date.now(), state: "returned", payload: item.payload,
      fix: { version: item.version, comment: item.comment, at: item.sent_back_at },
    });
  }
  return true;
}

export async function renderFixes() {
  app.current = { refresh: renderFixes, back: () => go("#/") };
  show("fixes", t("fix_badge"));
  const waiting = await toFix();
  $("fixes").replaceChildren(...waiting.map((r) => h("li", { class: "card", "data-testid": "fix", "data-uuid": r.uuid },
    h("strong", {}, `${r.label.address} · ${r.label.head_name}`), h("br"),
    h("span", { class: "error", "data-testid": "fix-comment" }, t("fix_comment", { c: r.fix.comment })),
    r.state === "draft" ? h("p", { class: "muted" }, t("fix_started")) : null,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn primary", "data-testid": "fix-open", onclick: () => openFix(r) }, t("fix_open"))))));
  if (!waiting.length) $("fixes").append(h("li", { class: "muted", "data-testid": "fix-none" }, t("fix_none")));
}

async function openFix(record) {
  if (record.state === "returned") await records.put({ ...record, state: "draft" });
  go(`#/f/${record.uuid}/r`); /* the review screen first: every answer, and the comment says which to change */
}

/* Shared state of the phone app and screen switching. */
import { getJSON } from "./api.js";
import { t } from "./ui.js";

export const $ = (id) => document.getElementById(id);

/* boot: the bootstrap JSON; user; sync: the queue sender; counts(): refresh the unsent badge. */
export const app = { boot: null, user: null, sync: null, current: null, forms: new Map(), counts: async () => {} };

export function show(screen, title) {
  for (const el of document.querySelectorAll(".screen")) el.hidden = el.id !== `s-${screen}`;
  $("title").textContent = title || t("app");
  $("back").hidden = screen === "groups" || screen === "boot";
}

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/* A form's schema JSON, from the network or (offline) the service worker's cache. */
export async function loadForm(formId, version) {
  const key = `${formId}/${version}`;
  if (!app.forms.has(key)) {
    app.forms.set(key, await getJSON(`/api/forms/${encodeURIComponent(formId)}/${encodeURIComponent(version)}`));
  }
  return app.forms.get(key);
}

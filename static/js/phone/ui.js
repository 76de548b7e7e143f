/* Interface helpers: messages in the user's language (rendered by the server into the page), elements, dialogs. */
const messages = {};
for (const el of document.querySelectorAll("#msgs [data-k]")) messages[el.dataset.k] = el.textContent;

export const lang = document.documentElement.lang || "vi";

export function t(key, params = {}) {
  return (messages[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

const LANG_KEY = "survey-form-lang";
let chosenLang = null;
try { chosenLang = localStorage.getItem(LANG_KEY); } catch (error) { /* storage blocked: the interface language */ }

/* The form language chosen on this phone (null: the interface language). */
export function formLang() {
  return chosenLang;
}

export function setFormLang(code) {
  chosenLang = code;
  try { localStorage.setItem(LANG_KEY, code); } catch (error) { /* kept for this page only */ }
}

/* A form label in the chosen form language, else the interface language: {vi: "...", en: "..."} or plain text. */
export function label(value) {
  if (value == null) return "";
  if (typeof value === "string") return value;
  return (chosenLang && value[chosenLang]) || value[lang] || value.vi || value.default || Object.values(value).find(Boolean) || "";
}

/* Create an element: h("button", {class: "btn", onclick}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child != null && child !== false) el.append(child);
  return el;
}

/* A modal question with big buttons; resolves to the chosen button's value (or null). */
export function ask(text, buttons) {
  const dialog = document.getElementById("dlg");
  document.getElementById("dlg-text").textContent = text;
  const actions = document.getElementById("dlg-actions");
  return new Promise((resolve) => {
    actions.replaceChildren(...buttons.map(([value, caption, kind]) => h("button", {
      type: "button", class: `btn ${kind || ""}`, "data-testid": `dlg-${value}`,
      onclick: () => { dialog.close(); resolve(value); },
    }, caption)));
    dialog.onclose = () => resolve(null);
    dialog.showModal();
  });
}

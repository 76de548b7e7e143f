/* The online self-survey page: the same form screens as the phone, sent straight to the server. */
import { getJSON, postJSON, tokenFrom, uuid } from "./api.js";
import { FormFlow } from "./form.js";
import { FormModel } from "./formlogic.js";
import { h, t } from "./ui.js";
import { deviceId } from "./widgets.js";

const root = document.getElementById("self");
const message = document.getElementById("self-msg");
tokenFrom(async () => document.querySelector("meta[name=csrf-token]").content);
const key = `self:${root.dataset.submitUrl}`;

function say(text, kind = "") {
  message.className = kind;
  message.textContent = text;
}

async function send(schema, draft, flow, answers) {
  say(t("sending"));
  let reply;
  try {
    reply = await postJSON(root.dataset.submitUrl, {
      uuid: draft.uuid, form_id: schema.form_id, form_version: schema.version,
      started_at: draft.started_at, finished_at: new Date().toISOString(), answers,
    });
  } catch (error) {
    return say(t("send_failed"), "error");
  }
  const { status, body } = reply;
  if (status === 201 || status === 200) {
    sessionStorage.removeItem(key);
    document.getElementById("form-body").replaceChildren(h("p", { class: "card ok", "data-testid": "self-thanks" }, t("thanks")));
    document.getElementById("form-actions").replaceChildren();
    return say("");
  }
  if (status === 422 && body.errors) {
    flow.serverErrors = body.errors;
    flow.go("r");
    return say(body.message || "", "error");
  }
  return say(status === 429 ? t("too_many") : (body.error && body.error.message) || body.message || t("send_failed"), "error");
}

async function start() {
  const schema = await getJSON(root.dataset.formUrl);
  const model = new FormModel(schema);
  const saved = JSON.parse(sessionStorage.getItem(key) || "null");
  const draft = saved && saved.version === schema.version ? saved : {
    uuid: uuid(), version: schema.version, started_at: new Date().toISOString(),
    answers: model.byName.has("a1_group") ? { a1_group: root.dataset.group } : {},
  };
  model.env = { deviceid: deviceId(), record: draft.uuid };
  const flow = new FormFlow({
    model, raw: draft.answers, body: document.getElementById("form-body"), actions: document.getElementById("form-actions"),
    hooks: {
      save: () => sessionStorage.setItem(key, JSON.stringify(draft)),
      navigate: () => {},
      finalize: (answers) => send(schema, draft, flow, answers),
    },
  });
  flow.go("h");
}

if (root) start().catch(() => say(t("send_failed"), "error"));

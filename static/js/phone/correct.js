/* Correcting a record on a ward staff page, in the same form screens as the phone: a stored submission
   (its latest answers filled in; sent with the reason, it becomes a new version) or a quarantined
   record (its answers as sent and the server's problems listed first; sent, it is checked again). */
import { getJSON, postJSON, tokenFrom } from "./api.js";
import { FormFlow } from "./form.js";
import { FormModel } from "./formlogic.js";
import { t } from "./ui.js";

const root = document.getElementById("correct");
const message = document.getElementById("correct-msg");
const reason = document.getElementById("correct-reason");
tokenFrom(async () => document.querySelector("meta[name=csrf-token]").content);

function say(text, kind = "") {
  message.className = kind;
  message.textContent = text;
}

async function send(flow, answers) {
  if (reason && !reason.value.trim()) {
    reason.focus();
    return say(t("correct_reason"), "error");
  }
  say(t("sending"));
  let reply;
  try {
    reply = await postJSON(root.dataset.submitUrl, reason
      ? { answers, reason: reason.value, version: Number(root.dataset.version) } : { answers });
  } catch (error) {
    return say(t("send_failed"), "error");
  }
  const { status, body } = reply;
  if (status === 200 && body.url) {
    location.href = body.url;
    return null;
  }
  if (status === 422 && body.errors && body.errors.length) {
    flow.serverErrors = body.errors;
    flow.go("r");
  }
  return say(body.message || (body.error && body.error.message) || t("send_failed"), "error");
}

async function start() {
  const schema = await getJSON(root.dataset.formUrl);
  const model = new FormModel(schema);
  model.today = root.dataset.today || null; /* today() is the day the record was filled in */
  const answers = JSON.parse(root.dataset.answers);
  const flow = new FormFlow({
    model, raw: answers, body: document.getElementById("form-body"), actions: document.getElementById("form-actions"),
    serverErrors: JSON.parse(root.dataset.errors || "[]"),
    hooks: { save: () => {}, navigate: () => {}, finalize: (done) => send(flow, done) },
  });
  flow.go("r"); /* the review screen first: every answer, each one a tap away */
}

if (root) start().catch(() => say(t("send_failed"), "error"));

/* Keying a paper questionnaire in on a ward staff page, in the same form screens as the phone: the
   household's known answers filled in, today() the date on the paper; sent once (its UUID is the page's,
   so sending again stores nothing twice), answers that fail the server's checks come back to be fixed. */
import { getJSON, postJSON, tokenFrom } from "./api.js";
import { FormFlow } from "./form.js";
import { FormModel } from "./formlogic.js";
import { t } from "./ui.js";

const root = document.getElementById("paper");
const message = document.getElementById("paper-msg");
tokenFrom(async () => document.querySelector("meta[name=csrf-token]").content);

function say(text, kind = "") {
  message.className = kind;
  message.textContent = text;
}

async function send(flow, answers) {
  say(t("sending"));
  let reply;
  try {
    reply = await postJSON(root.dataset.submitUrl, {
      uuid: root.dataset.uuid, household_id: Number(root.dataset.household), surveyor_id: Number(root.dataset.surveyor),
      day: root.dataset.day, form_version: root.dataset.version, answers,
    });
  } catch (error) {
    return say(t("send_failed"), "error");
  }
  const { status, body } = reply;
  if ((status === 201 || status === 200) && body.url) {
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
  model.today = root.dataset.day; /* today() is the day of the interview written on the paper */
  model.env = { record: root.dataset.uuid };
  const answers = JSON.parse(root.dataset.answers);
  const flow = new FormFlow({
    model, raw: answers, body: document.getElementById("form-body"), actions: document.getElementById("form-actions"),
    hooks: { save: () => {}, navigate: () => {}, finalize: (done) => send(flow, done) },
  });
  flow.go("h");
}

if (root) start().catch(() => say(t("send_failed"), "error"));

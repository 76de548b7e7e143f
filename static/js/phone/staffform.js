/* A form filled on a ward staff page in the phone's own screens (a correction, a quarantined record, a
   paper questionnaire): the line that says how sending went, the send, and what the server's reply means
   (stored: go to the record's page; answers that fail its checks: back to the review screen with them). */
import { getJSON, postJSON, tokenFrom } from "./api.js";
import { FormFlow } from "./form.js";
import { FormModel } from "./formlogic.js";
import { t } from "./ui.js";

tokenFrom(async () => document.querySelector("meta[name=csrf-token]").content);

export function staffForm(root, message) {
  function say(text, kind = "") {
    message.className = kind;
    message.textContent = text;
  }

  async function send(flow, payload) {
    say(t("sending"));
    let reply;
    try {
      reply = await postJSON(root.dataset.submitUrl, payload);
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

  /* The form of root's data-form-url with root's data-answers filled in; `finalize(flow, answers)` sends. */
  async function open({ today = null, env = null, serverErrors = [], finalize, screen }) {
    const model = new FormModel(await getJSON(root.dataset.formUrl));
    model.today = today;
    if (env) model.env = env;
    const flow = new FormFlow({
      model, raw: JSON.parse(root.dataset.answers), body: document.getElementById("form-body"),
      actions: document.getElementById("form-actions"), serverErrors,
      hooks: { save: () => {}, navigate: () => {}, finalize: (done) => finalize(flow, done) },
    });
    flow.go(screen);
    return flow;
  }

  return { say, send, open };
}

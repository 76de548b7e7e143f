/* Correcting a record on a ward staff page, in the same form screens as the phone: a stored submission
   (its latest answers filled in; sent with the reason, it becomes a new version) or a quarantined
   record (its answers as sent and the server's problems listed first; sent, it is checked again). */
import { staffForm } from "./staffform.js";
import { t } from "./ui.js";

const root = document.getElementById("correct");
const reason = document.getElementById("correct-reason");

if (root) {
  const form = staffForm(root, document.getElementById("correct-msg"));
  form.open({
    today: root.dataset.today || null, /* today() is the day the record was filled in */
    serverErrors: JSON.parse(root.dataset.errors || "[]"),
    screen: "r", /* the review screen first: every answer, each one a tap away */
    finalize: (flow, answers) => {
      if (reason && !reason.value.trim()) {
        reason.focus();
        return form.say(t("correct_reason"), "error");
      }
      return form.send(flow, reason ? { answers, reason: reason.value, version: Number(root.dataset.version) } : { answers });
    },
  }).catch(() => form.say(t("send_failed"), "error"));
}

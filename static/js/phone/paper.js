/* Keying a paper questionnaire in on a ward staff page, in the same form screens as the phone: the
   household's known answers filled in, today() the date on the paper; sent once (its UUID is the page's,
   so sending again stores nothing twice), answers that fail the server's checks come back to be fixed. */
import { staffForm } from "./staffform.js";
import { t } from "./ui.js";

const root = document.getElementById("paper");

if (root) {
  const form = staffForm(root, document.getElementById("paper-msg"));
  form.open({
    today: root.dataset.day, /* today() is the day of the interview written on the paper */
    env: { record: root.dataset.uuid },
    screen: "h",
    finalize: (flow, answers) => form.send(flow, {
      uuid: root.dataset.uuid, household_id: Number(root.dataset.household), surveyor_id: Number(root.dataset.surveyor),
      day: root.dataset.day, form_version: root.dataset.version, answers,
    }),
  }).catch(() => form.say(t("send_failed"), "error"));
}

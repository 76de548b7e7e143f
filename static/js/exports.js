/* Export page helpers: check all / none groups, and follow a large export until it can be downloaded. */
(function () {
  "use strict";

  function setupChecks(form) {
    form.querySelectorAll("[data-check]").forEach(function (button) {
      button.addEventListener("click", function () {
        var on = button.getAttribute("data-check") === "all";
        form.querySelectorAll('input[name="groups"]').forEach(function (box) { box.checked = on; });
      });
    });
  }

  function formatNumber(value) {
    var lang = document.documentElement.lang || "vi";
    try { return new Intl.NumberFormat(lang).format(value); } catch (e) { return String(value); }
  }

  function follow(card) {
    var url = card.getAttribute("data-status-url");
    var state = card.querySelector("[data-export-state]");
    var bar = card.querySelector("[data-export-progress]");
    var rows = card.querySelector("[data-export-rows]");
    var total = card.querySelector("[data-export-total]");
    var link = card.querySelector("[data-export-download]");
    var media = card.querySelector("[data-export-media]");
    var stage = card.querySelector("[data-export-stage]");
    var delay = 1000;

    function show(job) {
      bar.value = Math.round((job.progress || 0) * 100);
      rows.textContent = formatNumber(job.rows_written || 0);
      total.textContent = formatNumber(Math.max(job.rows_total || 0, job.rows_written || 0));
      if (stage) { stage.textContent = job.stage || ""; stage.hidden = !job.stage; }
      if (job.status === "done" && job.download_url) {
        state.textContent = state.getAttribute("data-text-done");
        link.href = job.download_url;
        link.hidden = false;
        if (media && job.media_url) { media.href = job.media_url; media.hidden = false; }
        window.location.assign(job.download_url);  // start the download; the link stays for a retry
        return false;
      }
      if (job.status === "failed") {
        state.textContent = job.error || state.getAttribute("data-text-failed");
        return false;
      }
      return job.status === "running";
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (job) { if (show(job)) { window.setTimeout(poll, delay); } })
        .catch(function () { delay = Math.min(delay * 2, 10000); window.setTimeout(poll, delay); });
    }

    if (link.hidden) { poll(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-export-form]").forEach(setupChecks);
    document.querySelectorAll("[data-export-job]").forEach(follow);
  });
})();

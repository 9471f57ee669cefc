// The mapping step's live preview: as a setting changes, ask the server how the file's first rows
// read with the settings now chosen (nothing is stored) and show that table. Without this script
// the "Update preview" button posts the form and the page shows the same table. No inline script.
(function () {
  "use strict";
  var form = document.getElementById("mapping-form");
  var target = document.getElementById("mapping-preview");
  if (!form || !target) return;
  var url = form.getAttribute("data-preview-url");
  var state = document.getElementById("mapping-status");
  var pending = null;
  var timer = null;

  form.querySelectorAll("[data-no-js-only]").forEach(function (button) { button.hidden = true; });

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      // The token stays out of the URL; the preview is a GET that changes nothing.
      if (key !== "csrf_token" && key !== "preset_name" && typeof value === "string") params.append(key, value);
    });
    return params.toString();
  }

  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    state.textContent = "Reading the file…";
    fetch(url + "?" + query(), { signal: pending.signal, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var body = doc.getElementById("mapping-preview-body");
        if (body) target.replaceChildren(document.importNode(body, true));
        state.textContent = "Preview updated.";
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        state.textContent = "The preview could not be updated; use “Use these settings” to read the file again.";
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "preset_name") return;
    schedule();
  });
  form.addEventListener("input", function (event) {
    if (event.target.type === "text" && event.target.name !== "preset_name") schedule();
  });
})();

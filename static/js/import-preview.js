// The preview table: a row's include box, category and tags are saved as they change (the row's
// own form is posted in the background; its Save button does the same without this script), the
// "Import N expenses" count follows, and the bulk form gets "tick every row on this page", a
// count of the ticked rows and only the field its action needs. No inline script (CSP).
(function () {
  "use strict";
  var commit = document.getElementById("commit-button");
  var count = document.getElementById("included-count");
  var noun = document.getElementById("included-noun");

  function setIncluded(n) {
    if (!commit) return;
    count.textContent = n.toLocaleString(document.documentElement.lang || undefined);
    noun.textContent = n === 1 ? "expense" : "expenses";
    commit.disabled = n === 0;
    commit.setAttribute("data-included", String(n));
  }

  function save(form, row) {
    var stateBox = row && row.querySelector("[data-row-state]");
    if (stateBox) stateBox.textContent = "Saving…";
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (!answer.ok) {
          var errors = answer.body.errors || {};
          var messages = [];
          Object.keys(errors).forEach(function (key) { messages = messages.concat(errors[key]); });
          if (stateBox) stateBox.textContent = messages.join(" ") || "Not saved.";
          return;
        }
        if (stateBox) stateBox.textContent = "Saved";
        if (row) {
          var box = row.querySelector('input[name="include"]');
          row.setAttribute("data-include", box && box.checked ? "true" : "false");
        }
        setIncluded(answer.body.included_count);
      })
      .catch(function () {
        if (stateBox) stateBox.textContent = "Not saved: the connection failed.";
      });
  }

  document.querySelectorAll("form[data-row-form]").forEach(function (form) {
    var row = document.getElementById(form.id.replace(/-form$/, ""));
    if (row) row.querySelectorAll("[data-row-save]").forEach(function (button) { button.hidden = true; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save(form, row);
    });
  });
  document.querySelectorAll("[data-row-input]").forEach(function (input) {
    var form = input.form;
    if (!form) return;
    var row = document.getElementById(form.id.replace(/-form$/, ""));
    input.addEventListener("change", function () { save(form, row); });
  });

  // Bulk actions.
  var bulk = document.getElementById("bulk-form");
  if (!bulk) return;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="row_ids"][form="bulk-form"]'));
  var pageBox = document.getElementById("select-page");
  var ticked = document.getElementById("bulk-count");
  var details = document.getElementById("bulk-actions");
  var selected = document.getElementById("bulk-scope-selected");
  var action = document.getElementById("bulk-action");

  function refresh() {
    var n = boxes.filter(function (box) { return box.checked; }).length;
    ticked.textContent = n ? "(" + n + " ticked)" : "";
    if (pageBox) {
      pageBox.checked = n > 0 && n === boxes.length;
      pageBox.indeterminate = n > 0 && n < boxes.length;
    }
    if (n && details && !details.open) details.open = true;
    if (n && selected) selected.checked = true;
  }

  function showFieldFor() {
    var chosen = action.value;
    document.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-bulk-for") !== chosen;
    });
  }

  if (pageBox) {
    pageBox.hidden = false;
    pageBox.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = pageBox.checked; });
      refresh();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", refresh); });
  if (action) {
    action.addEventListener("change", showFieldFor);
    showFieldFor();
  }
  refresh();
})();

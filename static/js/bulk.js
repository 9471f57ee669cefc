// The expense list's bulk actions: "select every row on this page", a count of the ticked rows,
// and only the field the chosen action needs. Without this file the row checkboxes and the bulk
// form still work (they are plain form fields); this only saves clicks. No inline script (CSP).
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));
  var pageBox = document.getElementById("select-page");
  var count = document.getElementById("bulk-count");
  var details = document.getElementById("bulk-actions");
  var selected = document.getElementById("bulk-scope-selected");
  var action = document.getElementById("bulk-action");
  var submit = document.getElementById("bulk-submit");

  // A row has two boxes (its own column from 576 px, inside the description on a phone), only
  // one of them shown: rows are counted by expense id.
  function rows(onlyTicked) {
    var ids = {};
    boxes.forEach(function (box) { if (!onlyTicked || box.checked) ids[box.value] = true; });
    return Object.keys(ids).length;
  }

  function refresh() {
    var n = rows(true);
    var all = rows(false);
    count.textContent = n ? "(" + n + " selected)" : "";
    if (pageBox) {
      pageBox.checked = n > 0 && n === all;
      pageBox.indeterminate = n > 0 && n < all;
    }
    if (n && details && !details.open) details.open = true;
    if (n && selected) selected.checked = true;
  }

  function showFieldFor() {
    var chosen = action.value;
    document.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-bulk-for").split(" ").indexOf(chosen) === -1;
    });
    submit.value = chosen === "delete" ? "Delete" : "Apply";
    submit.classList.toggle("btn-outline-danger", chosen === "delete");
    submit.classList.toggle("btn-outline-primary", chosen !== "delete");
  }

  if (pageBox) {
    pageBox.hidden = false;
    pageBox.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = pageBox.checked; });
      refresh();
    });
  }
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      // Keep the row's other box in step, so resizing the window shows the same selection.
      boxes.forEach(function (twin) { if (twin.value === box.value) twin.checked = box.checked; });
      refresh();
    });
  });
  action.addEventListener("change", showFieldFor);
  showFieldFor();
  refresh();
})();

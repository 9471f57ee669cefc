// The upload page's drop zone: a file dropped onto it goes into the real file input (which still
// works alone: by keyboard, by click, without this script), and the chosen name is shown.
(function () {
  "use strict";
  var zone = document.querySelector("[data-drop-zone]");
  if (!zone) return;
  var input = zone.querySelector('input[type="file"]');
  var chosen = document.getElementById("chosen-file");
  var hint = document.getElementById("drop-hint");
  if (!input) return;
  if (hint) hint.hidden = false;

  function showChosen() {
    var file = input.files && input.files[0];
    chosen.textContent = file ? "Chosen: " + file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)" : "";
  }

  function highlight(on) {
    zone.classList.toggle("border-primary", on);
    zone.classList.toggle("bg-primary-subtle", on);
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
      highlight(true);
    });
  });
  zone.addEventListener("dragleave", function (event) {
    if (!zone.contains(event.relatedTarget)) highlight(false);
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    highlight(false);
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) return;
    // Only the first file: one upload is one import.
    var transfer = new DataTransfer();
    transfer.items.add(files[0]);
    input.files = transfer.files;
    showChosen();
    input.focus();
  });
  input.addEventListener("change", showChosen);
})();

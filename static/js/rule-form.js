// The rule form, tidier with JavaScript: each action row shows only the boxes its type uses, the
// second value only appears for "between", and empty rows past the first are hidden behind an
// "Add a condition" / "Add an action" button. Without JavaScript every row and box is shown and
// empty rows are ignored by the server, so nothing here is needed to use the form.
(function () {
  const form = document.getElementById("rule-form");
  if (!form) return;
  const ACTION_BOXES = {
    set_category: ["category_id"],
    add_tags: ["tags"],
    set_payment_method: ["payment_method"],
    rewrite_description: ["pattern", "replacement"],
    skip: [],
    "": [],
  };
  const ACTION_NAMES = ["category_id", "tags", "payment_method", "pattern", "replacement"];

  function box(row, name) {
    const input = row.querySelector('[name$="-' + name + '"]');
    return input ? input.closest("[class*='col-']") : null;
  }
  function hasError(row) {
    return row.querySelector(".is-invalid") !== null;
  }

  function showAction(row) {
    const type = row.querySelector('[name$="-type"]').value;
    const wanted = ACTION_BOXES[type] || ACTION_NAMES;
    ACTION_NAMES.forEach((name) => {
      const element = box(row, name);
      if (element) element.hidden = !wanted.includes(name) && !hasError(element);
    });
  }
  function showCondition(row) {
    const operator = row.querySelector('[name$="-operator"]').value;
    const element = box(row, "value2");
    if (element) element.hidden = operator !== "between" && !hasError(element);
  }

  function collapse(selector, isEmpty, label) {
    const rows = Array.from(form.querySelectorAll(selector));
    if (!rows.length) return;
    let shownEmpty = false;
    rows.forEach((row) => {
      const empty = isEmpty(row) && !hasError(row);
      row.hidden = empty && shownEmpty;
      if (row.nextElementSibling && row.nextElementSibling.tagName === "HR") row.nextElementSibling.hidden = row.hidden;
      if (empty) shownEmpty = true;
    });
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-secondary mt-1";
    button.textContent = label;
    button.addEventListener("click", () => {
      const next = rows.find((row) => row.hidden);
      if (!next) return;
      next.hidden = false;
      if (next.nextElementSibling && next.nextElementSibling.tagName === "HR") next.nextElementSibling.hidden = false;
      next.querySelector("select").focus();
      button.hidden = !rows.some((row) => row.hidden);
    });
    button.hidden = !rows.some((row) => row.hidden);
    rows[rows.length - 1].parentElement.appendChild(button);
  }

  form.querySelectorAll(".action-row").forEach((row) => {
    showAction(row);
    row.querySelector('[name$="-type"]').addEventListener("change", () => showAction(row));
  });
  form.querySelectorAll(".condition-row").forEach((row) => {
    showCondition(row);
    row.querySelector('[name$="-operator"]').addEventListener("change", () => showCondition(row));
  });
  collapse(".condition-row", (row) => !row.querySelector('[name$="-field"]').value, "Add a condition");
  collapse(".action-row", (row) => !row.querySelector('[name$="-type"]').value, "Add an action");

  // Live preview: the form is posted (with its CSRF token) to the preview endpoint as it changes.
  const live = document.getElementById("live-preview");
  if (live && window.fetch) {
    const heading = document.getElementById("live-preview-heading");
    const list = document.getElementById("live-preview-matches");
    let timer = null;
    let asked = 0;
    async function refresh() {
      const number = ++asked;
      const data = new FormData(form);
      data.delete("submit");
      data.set("preview", "1");
      try {
        const response = await fetch(live.dataset.url, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": data.get("csrf_token") || "" },
        });
        if (number !== asked) return;
        const answer = await response.json();
        list.replaceChildren();
        if (!response.ok || answer.errors) {
          live.hidden = false;
          heading.textContent = "Complete the conditions and actions to see what the rule matches.";
          return;
        }
        const server = document.getElementById("preview-result");
        if (server) server.hidden = true;
        live.hidden = false;
        heading.textContent = "Matches " + answer.match_count.toLocaleString() + " of your expenses";
        answer.first_matches.forEach((match) => {
          const item = document.createElement("li");
          item.textContent = match.date + " · " + match.description + " · " + match.category + " · " + match.amount;
          list.appendChild(item);
        });
      } catch (error) {
        // Offline: the Preview button still works.
      }
    }
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 500);
    });
  }
})();

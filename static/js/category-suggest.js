// Category suggestion on the expense forms: as the description is typed (debounced), ask the
// server which category the user's past expenses from the same merchant had
// (`data-suggest-category` on the form is the URL of that JSON answer) and pre-select it, with a
// hint saying why. A category the user picked by hand is never overwritten. Without JavaScript the
// form simply keeps its default category.
(function () {
  const DELAY_MS = 300;

  function setUp(form) {
    const url = form.dataset.suggestCategory;
    const description = form.querySelector('input[name$="description"]');
    const select = form.querySelector('select[name$="category_id"]');
    if (!url || !description || !select) return;

    let chosenByHand = false;
    let timer = null;
    let asked = 0;
    const hint = document.createElement("div");
    hint.className = "form-text category-hint";
    hint.id = select.id + "-suggestion";
    hint.setAttribute("aria-live", "polite");
    select.insertAdjacentElement("afterend", hint);
    select.setAttribute("aria-describedby", [select.getAttribute("aria-describedby"), hint.id].filter(Boolean).join(" "));

    // Setting `select.value` from here fires no event: any change event is the user's choice.
    select.addEventListener("change", () => {
      chosenByHand = true;
      hint.textContent = "";
    });

    async function ask(text) {
      const number = ++asked;
      try {
        const response = await fetch(url + "?" + new URLSearchParams({ description: text }), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok || number !== asked || chosenByHand) return;
        const found = await response.json();
        if (number !== asked || chosenByHand) return;
        const option = found.category_id && select.querySelector('option[value="' + found.category_id + '"]');
        if (!option) {
          hint.textContent = "";
          return;
        }
        select.value = String(found.category_id);
        if (found.source === "rule") {
          hint.textContent = "Set by your rule ‘" + found.rule + "’. You can change it.";
        } else {
          const merchant = found.merchant ? " ‘" + found.merchant + "’" : "";
          hint.textContent = "Suggested from " + found.matches + " of your " + found.of + merchant + " expenses. You can change it.";
        }
      } catch (error) {
        // Offline or signed out: the form works without the suggestion.
      }
    }

    description.addEventListener("input", () => {
      if (chosenByHand) return;
      clearTimeout(timer);
      const text = description.value.trim();
      if (text.length < 3) {
        hint.textContent = "";
        return;
      }
      timer = setTimeout(() => ask(text), DELAY_MS);
    });
  }

  document.querySelectorAll("form[data-suggest-category]").forEach(setUp);
})();

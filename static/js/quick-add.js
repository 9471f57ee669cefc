// Quick add: the links to it (`data-quick-add`: the dashboard's "Add expense", the phone's add
// button) lead to the expense list, whose `autofocus` puts the cursor in the amount box. On the
// list itself a click would reload it (and drop its filters), so the focus is moved here instead.
// No fragment in those links: scrolling to a fragment moves the focus away from the autofocused box.
(function () {
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-quick-add]");
    const amount = document.getElementById("quick-amount");
    if (!link || !amount) return;
    if (new URL(link.href, window.location.href).pathname !== window.location.pathname) return;
    event.preventDefault();
    amount.scrollIntoView({ block: "center" });
    amount.focus();
  });
})();

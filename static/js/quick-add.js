// Quick add: the links to it (`data-quick-add`: the dashboard's "Add expense", the phone's add
// button) put the cursor in its amount box. From another page the list's own `autofocus` does it;
// on the list itself a click only scrolls to the fragment, so the focus is moved here.
(function () {
  const amount = () => document.getElementById("quick-amount");
  const focusAmount = () => {
    const box = amount();
    if (box) {
      box.scrollIntoView({ block: "center" });
      box.focus();
    }
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-quick-add]");
    if (!link || !amount()) return;
    const target = new URL(link.href, window.location.href);
    if (target.pathname !== window.location.pathname) return;
    event.preventDefault();
    focusAmount();
  });
  if (window.location.hash === "#quick-add") focusAmount();
})();

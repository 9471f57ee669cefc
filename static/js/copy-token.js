// The "Copy" button next to a new access token (settings/tokens.html): copies the token to the
// clipboard and says so. Progressive only: without it the token is selectable in its box.
(function () {
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    const input = document.getElementById(button.dataset.copyTarget);
    const status = document.querySelector("[data-copy-status]");
    if (!input) return;
    button.addEventListener("click", async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
        if (status) status.textContent = "Copied to the clipboard.";
      } catch (error) {
        if (status) status.textContent = "Could not copy: select the token and copy it by hand.";
      }
    });
  });
})();

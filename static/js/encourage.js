// Encouragement without a page reload. Progressive enhancement only: without this file each
// button is a plain form POST that toggles the encouragement and comes back to the page.
(function () {
  "use strict";

  var status = document.querySelector("[data-encourage-status]");

  function announce(text) {
    if (status) status.textContent = text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("encourage-form") || !window.fetch) return;
    var button = form.querySelector("button[aria-pressed]");
    if (!button || button.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    event.preventDefault();
    button.setAttribute("aria-busy", "true");

    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        button.removeAttribute("aria-busy");
        if (!result.ok) {
          announce(result.data.error || "That didn't work. Please try again.");
          return;
        }
        button.setAttribute("aria-pressed", result.data.given ? "true" : "false");
        var count = button.querySelector("[data-count]");
        if (count) count.textContent = String(result.data.count);
        announce(result.data.message);
      })
      .catch(function () {
        // Anything unexpected (offline, a login page instead of JSON): do it the plain way.
        button.removeAttribute("aria-busy");
        form.submit();
      });
  });
})();

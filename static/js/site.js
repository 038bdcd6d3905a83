// Rebound: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Close open <details class="menu"> dropdowns on Escape or on a click outside them.
  function openMenus() {
    return Array.from(document.querySelectorAll("details.menu[open]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary && menu.contains(document.activeElement)) summary.focus();
    });
  });

  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();

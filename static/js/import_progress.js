// The import's progress bar: asks the server how far the reading has got, once a second, and
// shows the preview once it is done. Without JavaScript the page has a link to refresh it.
(function () {
  "use strict";
  const box = document.querySelector("[data-import-progress]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const count = box.querySelector("[data-import-rows-read]");

  function poll() {
    fetch(box.dataset.importProgress, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((progress) => {
        if (progress.done) {
          window.location.reload();
          return;
        }
        bar.max = progress.rows_total;
        bar.value = progress.rows_read;
        count.textContent = progress.rows_read;
        window.setTimeout(poll, 1000);
      })
      .catch(() => window.setTimeout(poll, 5000));
  }

  window.setTimeout(poll, 500);
})();

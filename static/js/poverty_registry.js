// Import page: show that the upload is under way and prevent a second submit of a large file.
(function () {
  "use strict";
  var form = document.getElementById("registry-import-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var button = form.querySelector(".js-import-submit");
    var wait = form.querySelector(".js-import-wait");
    if (button) { button.disabled = true; }
    if (wait) { wait.classList.remove("d-none"); }
  });
})();

// Upload forms (templates/_upload_form.html): show that the upload is under way and prevent a second submit
// of a large file.
(function () {
  "use strict";
  document.querySelectorAll("form.js-upload-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector(".js-import-submit");
      var wait = form.querySelector(".js-import-wait");
      if (button) { button.disabled = true; }
      if (wait) { wait.classList.remove("d-none"); }
    });
  });
})();

// Small behaviours shared by every page. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("js-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  // Buttons that ask before doing something irreversible: data-confirm="message".
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Print buttons: data-print.
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print]");
    if (el) {
      event.preventDefault();
      window.print();
    }
  });
})();

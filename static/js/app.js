// Small behaviours shared by every page. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("js-autosubmit") && el.form) {
      el.form.submit();
      return;
    }
    // A division picker that reloads the list: the levels below the changed one are left out of the
    // query (they belong to the previous pick), so the changed level is the division chosen.
    var picker = el.closest && el.closest(".division-picker[data-autosubmit]");
    if (picker && el.form) {
      var selects = picker.querySelectorAll("select");
      var below = false;
      Array.prototype.forEach.call(selects, function (select) {
        if (below) { select.disabled = true; }
        if (select === el) { below = true; }
      });
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
  // Wide tables on a phone: a visible cue that the table scrolls sideways, and a shadow on the side
  // that has more columns, so the number columns on the right are never cut off unnoticed.
  var hint = document.documentElement.getAttribute("data-scroll-hint") || "";
  function markScrollable(root) {
    var boxes = (root || document).querySelectorAll(".table-responsive");
    Array.prototype.forEach.call(boxes, function (box) {
      var wide = box.scrollWidth > box.clientWidth + 2;
      box.classList.toggle("is-scrollable", wide);
      var atEnd = box.scrollLeft + box.clientWidth >= box.scrollWidth - 2;
      box.classList.toggle("is-scrolled-end", wide && atEnd);
      var cue = box.previousElementSibling;
      var hasCue = cue && cue.classList.contains("scroll-cue");
      if (wide && !hasCue && hint) {
        cue = document.createElement("div");
        cue.className = "scroll-cue small text-muted";
        cue.setAttribute("aria-hidden", "true");
        cue.textContent = hint;
        box.parentNode.insertBefore(cue, box);
      } else if (!wide && hasCue) {
        cue.remove();
      }
      if (!box.hasAttribute("data-scroll-watch")) {
        box.setAttribute("data-scroll-watch", "");
        box.addEventListener("scroll", function () {
          box.classList.toggle("is-scrolled-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 2);
        }, {passive: true});
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { markScrollable(); });
  window.addEventListener("resize", function () { markScrollable(); });
  document.addEventListener("htmx:afterSettle", function (event) { markScrollable(event.target.parentNode || document); });
  // Print buttons: data-print.
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print]");
    if (el) {
      event.preventDefault();
      window.print();
    }
  });
})();

// Case forms: show the staff-relative and override fields only when they apply. No inline scripts (CSP).
(function () {
  "use strict";
  function toggle(triggerId, targetIds, test) {
    var trigger = document.getElementById(triggerId);
    if (!trigger) { return; }
    function apply() {
      var show = test(trigger);
      targetIds.forEach(function (id) {
        var el = document.getElementById(id);
        if (el) { el.closest(".mb-3").classList.toggle("d-none", !show); }
      });
    }
    trigger.addEventListener("input", apply);
    trigger.addEventListener("change", apply);
    apply();
  }
  toggle("id_staff_relative", ["id_staff_relative_relation", "id_staff_relative_to"], function (el) { return el.checked; });
  toggle("id_override_amount", ["id_override_reason"], function (el) { return el.value !== ""; });
})();

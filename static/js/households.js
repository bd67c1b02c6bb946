// Household form: add a blank row to a formset (members, incomes, assets) from its <template>.
(function () {
  "use strict";
  function styleInputs(root) {
    root.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "checkbox") { el.classList.add("form-check-input"); }
      else if (el.type !== "hidden") { el.classList.add(el.tagName === "SELECT" ? "form-select" : "form-control"); }
    });
  }
  document.querySelectorAll("[data-formset]").forEach(function (set) {
    var prefix = set.getAttribute("data-formset");
    var total = set.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var forms = set.querySelector(".formset-forms");
    var template = set.querySelector("template.formset-empty");
    styleInputs(forms);
    set.querySelector(".formset-add").addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var wrapper = document.createElement("div");
      wrapper.innerHTML = html;
      var row = wrapper.firstElementChild;
      styleInputs(row);
      forms.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input:not([type=hidden]), select");
      if (first) { first.focus(); }
    });
  });
})();

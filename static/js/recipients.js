// Review form: show the exit fields only when the outcome is "exit", the income only for adjust/exit.
(function () {
  "use strict";
  var form = document.querySelector(".js-review-form");
  if (!form) { return; }
  var exitFields = ["exit_kind", "exit_reason", "effective_month", "amount_to_recover", "on_poverty_roster"];
  function wrapper(name) {
    var input = form.querySelector("[name='" + name + "']");
    return input ? input.closest(".mb-3") : null;
  }
  function update() {
    var outcome = form.querySelector("[name='outcome']").value;
    exitFields.forEach(function (name) {
      var el = wrapper(name);
      if (el) { el.classList.toggle("d-none", outcome !== "exit"); }
    });
    var income = wrapper("verified_per_capita_income");
    if (income) { income.classList.toggle("d-none", outcome === "continue"); }
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "outcome") { update(); }
  });
  update();
})();

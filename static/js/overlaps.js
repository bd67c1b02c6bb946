// Findings pages: ask before remembering a finding as a false match (no inline scripts under the CSP).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.id !== "resolve-form") return;
  var chosen = form.querySelector("input[name=outcome]:checked");
  if (chosen && chosen.value === "false_match" && !window.confirm(form.dataset.confirmFalseMatch)) {
    event.preventDefault();
  }
});

// Dashboard charts. The numbers come from the page's json_script block (#dashboard-data);
// the same numbers are on the page as tables. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var labels = data.labels || {};

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      config.options = Object.assign({ responsive: true, maintainAspectRatio: true, animation: false }, config.options || {});
      return new window.Chart(canvas, config);
    }
    return null;
  }

  draw("chart-recipients", {
    type: "line",
    data: {
      labels: data.months,
      datasets: [
        { label: labels.recipient_households, data: data.recipient_households, borderColor: "#0d6efd", backgroundColor: "#0d6efd" },
        { label: labels.recipient_persons, data: data.recipient_persons, borderColor: "#198754", backgroundColor: "#198754" }
      ]
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });

  draw("chart-flow", {
    type: "bar",
    data: {
      labels: data.months,
      datasets: [
        { label: labels.applications, data: data.applications, backgroundColor: "#6c757d" },
        { label: labels.approved, data: data.approved, backgroundColor: "#198754" },
        { label: labels.rejected, data: data.rejected, backgroundColor: "#dc3545" }
      ]
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });

  if (data.paid) {
    draw("chart-paid", {
      type: "bar",
      data: { labels: data.months, datasets: [{ label: labels.paid, data: data.paid, backgroundColor: "#0dcaf0" }] },
      options: { scales: { y: { beginAtZero: true } } }
    });
  }

  if (data.finding_rules) {
    draw("chart-findings", {
      type: "bar",
      data: { labels: data.finding_rules, datasets: [{ label: labels.findings, data: data.finding_counts, backgroundColor: "#fd7e14" }] },
      options: {
        indexAxis: "y",
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          // Rule titles are long: on a phone they would be cut at the canvas edge. Shorten the axis
          // labels there; the tooltip and the table below give the whole title.
          y: { ticks: { callback: function (value) {
            var label = String(this.getLabelForValue(value));
            var room = this.chart.width < 500 ? 9 : 24;
            return label.length > room ? label.slice(0, room - 1) + "…" : label;
          } } }
        }
      }
    });
  }
})();

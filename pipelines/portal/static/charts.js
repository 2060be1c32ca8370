// Draws one bar chart per indicator from the JSON block next to its canvas (no inline script, so the
// Content-Security-Policy can forbid them). The table beside each chart carries the same numbers:
// the chart is a visual aid, never the only way to read a value.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var fmt = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });
  document.querySelectorAll("canvas.spro-chart").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-source"));
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var colours = data.levels.map(function (level) {
      return level === "region" ? "#0b6e4f" : (level === "agence" ? "#123b6d" : "#4f7cb0");
    });
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.label + (data.unit ? " (" + data.unit + ")" : ""), data: data.values,
                     backgroundColor: colours, borderWidth: 0 }]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.raw === null ? "secret statistique" : fmt.format(ctx.raw) + (data.unit === "%" ? " %" : " " + data.unit);
          } } }
        },
        scales: { x: { beginAtZero: true, ticks: { callback: function (v) { return fmt.format(v); } } } }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  });
})();

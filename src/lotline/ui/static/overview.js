// Overview: draws the capture chart and swaps in a fresh body every few seconds (no full reload).
(function () {
  "use strict";
  const root = document.getElementById("overview");
  if (!root) return;
  const palette = ["#0b5cad", "#d9480f", "#1e6b2f", "#7b2cbf", "#a4161a", "#00798c", "#8a4b00", "#3d405b"];
  let plot = null;

  function draw() {
    const el = document.getElementById("rate-chart");
    const data = JSON.parse(document.getElementById("overview-data").textContent);
    if (plot) { plot.destroy(); plot = null; }
    if (!el || !window.uPlot) return;
    const series = [{}].concat(data.series.map((s, i) => ({
      label: s.label, stroke: palette[i % palette.length], width: 2, points: { show: false },
    })));
    const rows = [data.times].concat(data.series.map((s) => s.counts));
    const width = Math.max(300, el.clientWidth - 4);
    plot = new uPlot({ width: width, height: 220, series: series, legend: { live: false },
      axes: [{}, { label: "events" }], scales: { x: { time: true } } }, rows, el);
  }

  async function refresh() {
    try {
      const response = await fetch("/ui/overview/body?window=" + encodeURIComponent(root.dataset.window),
        { headers: { "Accept": "text/html" }, credentials: "same-origin" });
      if (response.redirected || !response.ok) return;
      root.innerHTML = await response.text();
      draw();
      document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) { /* offline for a moment: try again next time */ }
  }

  draw();
  window.addEventListener("resize", draw);
  setInterval(refresh, 1000 * Number(root.dataset.refresh || 10));
})();

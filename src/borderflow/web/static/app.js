// Draws the figures (JSON in <script type="application/json" data-figure>, so the pages need
// no inline script), keeps each slider and its number box in step, and marks a running form.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("script[data-figure]")) {
    const spec = JSON.parse(el.textContent);
    const div = document.getElementById(el.dataset.figure);
    Plotly.newPlot(div, spec.data, spec.layout, {responsive: true, displaylogo: false});
  }
  for (const slider of document.querySelectorAll("input[type=range][data-for]")) {
    const box = document.getElementById(slider.dataset.for);
    slider.addEventListener("input", () => { box.value = slider.value; });
    box.addEventListener("input", () => { slider.value = box.value; });
  }
  for (const [formId, buttonId] of [["run-form", "run"], ["attribute-form", "attribute"]]) {
    const form = document.getElementById(formId);
    if (form) {
      form.addEventListener("submit", () => {
        document.getElementById(buttonId).disabled = true;
        document.getElementById("running").hidden = false;
      });
    }
  }
});

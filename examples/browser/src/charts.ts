// Chart.js charts of the demo: benchmark ratios to the copy floor (bars, log scale) and the
// training curves of the two networks (lines, updated live).
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, Title, Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Title, Tooltip);

const COLORS = { simd: "#2563eb", scalar: "#16a34a", js: "#d97706", withBn: "#2563eb", withoutBn: "#dc2626" };

export function ratioChart(canvas: HTMLCanvasElement, title: string): Chart<"bar"> {
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: [],
      datasets: [
        { label: "SIMD", data: [], backgroundColor: COLORS.simd },
        { label: "scalar", data: [], backgroundColor: COLORS.scalar },
        { label: "pure JS", data: [], backgroundColor: COLORS.js },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: title } },
      scales: {
        x: { ticks: { autoSkip: false, maxRotation: 90, minRotation: 30, font: { size: 10 } } },
        y: { type: "logarithmic", title: { display: true, text: "× memory.copy (1 = the floor)" } },
      },
    },
  });
}

export function curveChart(canvas: HTMLCanvasElement, title: string, yLabel: string, yMax?: number): Chart<"line"> {
  return new Chart(canvas, {
    type: "line",
    data: {
      labels: [],
      datasets: [
        { label: "with BatchNorm1d", data: [], borderColor: COLORS.withBn, backgroundColor: COLORS.withBn, pointRadius: 0, borderWidth: 2 },
        { label: "without batch norm", data: [], borderColor: COLORS.withoutBn, backgroundColor: COLORS.withoutBn, pointRadius: 0, borderWidth: 2 },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: title } },
      scales: {
        x: { title: { display: true, text: "step" } },
        y: { min: 0, ...(yMax !== undefined ? { max: yMax } : {}), title: { display: true, text: yLabel } },
      },
    },
  });
}

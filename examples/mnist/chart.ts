// Figure 1 of the paper as a plain SVG string: (a) held-out accuracy of both networks over
// training, (b) and (c) the 15th, 50th and 85th percentiles of one sigmoid's input without
// and with batch norm, on a shared vertical scale so the two can be compared by eye.

export interface FigureSeries {
  testAcc: number[];
  percentiles: Array<[number, number, number]>;
}

export interface FigureData {
  steps: number[];
  plain: FigureSeries;
  bn: FigureSeries;
  /** One line under the title, e.g. the settings of the run. */
  subtitle: string;
}

const PANEL_W = 360, PANEL_H = 260, MARGIN = { left: 58, right: 18, top: 86, bottom: 56 }, GAP = 30;
const COLORS = { plain: "#d1495b", bn: "#2e6fba", band: 0.18 };
const FONT = `font-family="Helvetica, Arial, sans-serif"`;

/** Round tick values covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toFixed(10)));
  return ticks;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(v: number): string {
  return Number(v.toFixed(2)).toString();
}

/** One panel's frame: axes, ticks, grid, labels; returns the SVG and the scale functions. */
function panel(x0: number, title: string, xMax: number, yLo: number, yHi: number, yLabel: string, yFormat: (v: number) => string) {
  const y0 = MARGIN.top;
  const sx = (v: number) => x0 + (v / xMax) * PANEL_W;
  const sy = (v: number) => y0 + PANEL_H - ((v - yLo) / (yHi - yLo)) * PANEL_H;
  const parts: string[] = [];
  parts.push(`<text x="${x0}" y="${y0 - 14}" ${FONT} font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const t of niceTicks(yLo, yHi)) {
    parts.push(`<line x1="${x0}" x2="${x0 + PANEL_W}" y1="${fmt(sy(t))}" y2="${fmt(sy(t))}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${x0 - 6}" y="${fmt(sy(t) + 4)}" ${FONT} font-size="11" text-anchor="end">${yFormat(t)}</text>`);
  }
  for (const t of niceTicks(0, xMax)) {
    parts.push(`<line x1="${fmt(sx(t))}" x2="${fmt(sx(t))}" y1="${y0 + PANEL_H}" y2="${y0 + PANEL_H + 5}" stroke="#333"/>`);
    parts.push(`<text x="${fmt(sx(t))}" y="${y0 + PANEL_H + 18}" ${FONT} font-size="11" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y0}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${x0 + PANEL_W / 2}" y="${y0 + PANEL_H + 38}" ${FONT} font-size="12" text-anchor="middle">training steps (minibatches)</text>`);
  parts.push(`<text transform="translate(${x0 - 44} ${y0 + PANEL_H / 2}) rotate(-90)" ${FONT} font-size="12" text-anchor="middle">${esc(yLabel)}</text>`);
  return { svg: parts.join("\n"), sx, sy };
}

function polyline(xs: number[], ys: number[], sx: (v: number) => number, sy: (v: number) => number, attrs: string): string {
  const pts = xs.map((x, i) => `${fmt(sx(x))},${fmt(sy(ys[i]))}`).join(" ");
  return `<polyline points="${pts}" fill="none" ${attrs}/>`;
}

function band(xs: number[], lo: number[], hi: number[], sx: (v: number) => number, sy: (v: number) => number, color: string): string {
  const top = xs.map((x, i) => `${fmt(sx(x))},${fmt(sy(hi[i]))}`);
  const bottom = xs.map((x, i) => `${fmt(sx(x))},${fmt(sy(lo[i]))}`).reverse();
  return `<polygon points="${[...top, ...bottom].join(" ")}" fill="${color}" fill-opacity="${COLORS.band}" stroke="none"/>`;
}

/** The three-panel figure as a standalone SVG document. */
export function renderFigure(data: FigureData): string {
  const { steps } = data;
  const xMax = steps[steps.length - 1] || 1;
  const width = MARGIN.left + 3 * PANEL_W + 2 * (GAP + MARGIN.left) + MARGIN.right;
  const height = MARGIN.top + PANEL_H + MARGIN.bottom;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${MARGIN.left}" y="26" ${FONT} font-size="17" font-weight="bold">Batch normalization on MNIST (after Ioffe &amp; Szegedy 2015, Figure 1)</text>`);
  out.push(`<text x="${MARGIN.left}" y="46" ${FONT} font-size="12" fill="#444">${esc(data.subtitle)}</text>`);
  out.push(`<defs>${[0, 1, 2].map((k) => `<clipPath id="clip${k}"><rect x="${MARGIN.left + k * (PANEL_W + GAP + MARGIN.left)}" y="${MARGIN.top}" width="${PANEL_W}" height="${PANEL_H}"/></clipPath>`).join("")}</defs>`);

  // (a) accuracy. The paper zooms in on the top of the range; start lower when a network ends below it.
  const finals = [data.plain.testAcc, data.bn.testAcc].map((a) => a[a.length - 1]);
  const accLo = Math.max(0, Math.min(0.7, Math.floor(Math.min(...finals) * 10) / 10 - 0.1));
  const xa = MARGIN.left;
  const a = panel(xa, "(a) held-out accuracy", xMax, accLo, 1, "accuracy on 2,000 held-out digits", (v) => `${Math.round(v * 100)}%`);
  out.push(a.svg);
  out.push(`<g clip-path="url(#clip0)">`);
  out.push(polyline(steps, data.plain.testAcc, a.sx, a.sy, `stroke="${COLORS.plain}" stroke-width="2" stroke-dasharray="6 3"`));
  out.push(polyline(steps, data.bn.testAcc, a.sx, a.sy, `stroke="${COLORS.bn}" stroke-width="2"`));
  out.push(`</g>`);
  const ly = a.sy(accLo) - 40;
  out.push(`<line x1="${xa + PANEL_W - 150}" x2="${xa + PANEL_W - 124}" y1="${fmt(ly)}" y2="${fmt(ly)}" stroke="${COLORS.bn}" stroke-width="2"/>`);
  out.push(`<text x="${xa + PANEL_W - 118}" y="${fmt(ly + 4)}" ${FONT} font-size="12">with batch norm</text>`);
  out.push(`<line x1="${xa + PANEL_W - 150}" x2="${xa + PANEL_W - 124}" y1="${fmt(ly + 18)}" y2="${fmt(ly + 18)}" stroke="${COLORS.plain}" stroke-width="2" stroke-dasharray="6 3"/>`);
  out.push(`<text x="${xa + PANEL_W - 118}" y="${fmt(ly + 22)}" ${FONT} font-size="12">without</text>`);

  // (b), (c): percentiles on one shared scale.
  const all = [...data.plain.percentiles, ...data.bn.percentiles].flat();
  const lo = Math.min(...all), hi = Math.max(...all), pad = 0.08 * (hi - lo || 1);
  const ticks = niceTicks(lo - pad, hi + pad);
  const pLo = Math.min(lo - pad, ticks[0]), pHi = Math.max(hi + pad, ticks[ticks.length - 1]);
  const series = [["(b) without batch norm", data.plain, COLORS.plain], ["(c) with batch norm", data.bn, COLORS.bn]] as const;
  series.forEach(([title, s, color], k) => {
    const x0 = MARGIN.left + (k + 1) * (PANEL_W + GAP + MARGIN.left);
    const p = panel(x0, title, xMax, pLo, pHi, "input to one last-layer sigmoid", fmt);
    out.push(p.svg);
    const col = (j: number) => s.percentiles.map((q) => q[j]);
    out.push(`<g clip-path="url(#clip${k + 1})">`);
    out.push(band(steps, col(0), col(2), p.sx, p.sy, color));
    out.push(polyline(steps, col(0), p.sx, p.sy, `stroke="${color}" stroke-width="1" stroke-opacity="0.7"`));
    out.push(polyline(steps, col(2), p.sx, p.sy, `stroke="${color}" stroke-width="1" stroke-opacity="0.7"`));
    out.push(polyline(steps, col(1), p.sx, p.sy, `stroke="${color}" stroke-width="2"`));
    out.push(`</g>`);
    out.push(`<text x="${x0 + PANEL_W - 8}" y="${MARGIN.top + 16}" ${FONT} font-size="11" text-anchor="end" fill="#444">15th, 50th (bold), 85th percentiles</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/**
 * Hand-written SVG charts for docs/bench/: a line chart (linear or log axes) and a horizontal
 * bar chart. No dependencies; text is escaped; colours are fixed per series index.
 *
 * @example
 * ```ts
 * import { barChart } from "./_svg.ts";
 * const svg = barChart({ title: "runs/s", bars: [{ label: "kron", value: 60000 }] });
 * svg.startsWith("<svg"); // true
 * ```
 * @module
 */

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];
const FONT = 'font-family="system-ui, sans-serif" font-size="12"';

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function num(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  if (n >= 10) return `${Math.round(n)}`;
  return `${+n.toPrecision(2)}`;
}

/** One series of a {@link lineChart}. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** Options of a {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  width?: number;
  height?: number;
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out;
  }
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 4 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9; v += nice) out.push(+v.toPrecision(12));
  return out;
}

/**
 * A line chart with one polyline per series and a legend.
 *
 * @example
 * ```ts
 * import { lineChart } from "./_svg.ts";
 * lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [{ name: "a", points: [[1, 1], [2, 4]] }] });
 * ```
 */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 720, H = o.height ?? 400;
  const L = 70, R = 170, T = 40, B = 50;
  const pts = o.series.flatMap((s) => s.points).filter(([x, y]) =>
    Number.isFinite(x) && Number.isFinite(y) && (!o.xLog || x > 0) && (!o.yLog || y > 0)
  );
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (o.xLog) [x0, x1] = [10 ** Math.floor(Math.log10(x0)), 10 ** Math.ceil(Math.log10(x1))];
  if (o.yLog) [y0, y1] = [10 ** Math.floor(Math.log10(y0)), 10 ** Math.ceil(Math.log10(y1))];
  else [y0, y1] = [Math.min(0, y0), y1 * 1.05 || 1];
  if (x1 === x0) x1 = x0 + 1;
  const fx = (x: number) =>
    L + (o.xLog ? Math.log10(x / x0) / Math.log10(x1 / x0) : (x - x0) / (x1 - x0)) * (W - L - R);
  const fy = (y: number) =>
    H - B - (o.yLog ? Math.log10(y / y0) / Math.log10(y1 / y0) : (y - y0) / (y1 - y0)) *
      (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${
      esc(o.title)
    }</text>`,
  ];
  for (const t of ticks(x0, x1, !!o.xLog)) {
    const x = fx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${H - B + 16}" text-anchor="middle">${num(t)}</text>`);
  }
  for (const t of ticks(y0, y1, !!o.yLog)) {
    const y = fy(t).toFixed(1);
    out.push(`<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${L - 6}" y="${y}" text-anchor="end" dy="4">${num(t)}</text>`);
  }
  out.push(
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${
      H - T - B
    }" fill="none" stroke="#999"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${
      esc(o.yLabel)
    }</text>`,
  );
  o.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const p = s.points.filter(([x, y]) =>
      Number.isFinite(x) && Number.isFinite(y) && (!o.xLog || x > 0) && (!o.yLog || y > 0)
    ).map(([x, y]) => `${fx(x).toFixed(1)},${fy(Math.max(y, y0)).toFixed(1)}`);
    if (p.length > 1) {
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${p.join(" ")}"/>`);
    }
    for (const q of p.length <= 12 ? p : []) {
      const [cx, cy] = q.split(",");
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${c}"/>`);
    }
    const ly = T + 10 + i * 20;
    out.push(
      `<rect x="${W - R + 12}" y="${ly - 6}" width="14" height="4" fill="${c}"/>`,
      `<text x="${W - R + 32}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** One bar of a {@link barChart}. */
export interface Bar {
  label: string;
  value: number;
  /** Text after the bar (default: the value). */
  note?: string;
}

/**
 * A horizontal bar chart (linear, or log with `log: true`); the first bar is highlighted.
 *
 * @example
 * ```ts
 * import { barChart } from "./_svg.ts";
 * barChart({ title: "restart ms", bars: [{ label: "1M events", value: 2500 }] });
 * ```
 */
export function barChart(
  o: { title: string; bars: Bar[]; unit?: string; log?: boolean; width?: number },
): string {
  const W = o.width ?? 720;
  const L = 230, R = 150, T = 40, row = 26;
  const H = T + o.bars.length * row + 20;
  const vals = o.bars.map((b) => b.value).filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(...vals, 1);
  const min = o.log ? 10 ** Math.floor(Math.log10(Math.min(...vals, max))) : 0;
  const fw = (v: number) =>
    !Number.isFinite(v) || v <= 0
      ? 0
      : o.log
      ? Math.max(2, Math.log10(v / min) / Math.log10(max * 1.2 / min) * (W - L - R))
      : v / max * (W - L - R);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${
      esc(o.title)
    }</text>`,
  ];
  o.bars.forEach((b, i) => {
    const y = T + i * row;
    const w = fw(b.value);
    const note = b.note ?? (Number.isFinite(b.value) ? `${num(b.value)}${o.unit ?? ""}` : "n/a");
    out.push(
      `<text x="${L - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${L}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 8}" fill="${
        b.label.startsWith("kron") ? COLORS[0] : COLORS[1]
      }"/>`,
      `<text x="${L + w + 6}" y="${y + 15}">${esc(note)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

// A minimal SVG line chart: one series per run, x = epoch. No dependencies, readable output.

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (hi === lo) return [lo];
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
  const s = [1, 2, 5, 10].map((m) => m * step).find((x) => (hi - lo) / x <= n) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9; v += s) out.push(Number(v.toPrecision(6)));
  return out;
}

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], w = 520, h = 300): string {
  const pad = { l: 60, r: 130, t: 30, b: 45 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const [x0, x1] = all.length ? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))] : [0, 1];
  let [y0, y1] = all.length ? [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))] : [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const X = (x: number) => pad.l + ((x - x0) / (x1 - x0 || 1)) * (w - pad.l - pad.r);
  const Y = (y: number) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${w / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="black"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" stroke="black"/>`,
    `<text x="${(pad.l + w - pad.r) / 2}" y="${h - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${h / 2}" text-anchor="middle" transform="rotate(-90 14 ${h / 2})">${esc(yLabel)}</text>`,
  ];
  for (const t of niceTicks(y0, y1)) out.push(`<text x="${pad.l - 6}" y="${Y(t) + 4}" text-anchor="end">${t}</text>`, `<line x1="${pad.l}" y1="${Y(t)}" x2="${w - pad.r}" y2="${Y(t)}" stroke="#ddd"/>`);
  for (const t of niceTicks(x0, x1)) out.push(`<text x="${X(t)}" y="${h - pad.b + 15}" text-anchor="middle">${t}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${c}"/>`);
    out.push(`<rect x="${w - pad.r + 10}" y="${pad.t + i * 16}" width="10" height="10" fill="${c}"/>`, `<text x="${w - pad.r + 24}" y="${pad.t + i * 16 + 9}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

// Loss and accuracy curves as a self-contained SVG (or an HTML page holding it), written with no
// dependency: two panels (loss, accuracy) with axes, ticks, grid lines and a legend; the training
// curve as a line, the end-of-epoch test results as a line with markers.

/** What training records for the plot (saved in the checkpoint as `history`). */
export interface History {
  /** Training curve: x in epochs (fractional), the loss and accuracy (%) averaged since the previous point. */
  train: { epoch: number[]; loss: number[]; accuracy: number[] };
  /** End-of-epoch evaluation on the test split. */
  test: { epoch: number[]; loss: number[]; accuracy: number[] };
}

/** An empty history. */
export function emptyHistory(): History {
  return { train: { epoch: [], loss: [], accuracy: [] }, test: { epoch: [], loss: [], accuracy: [] } };
}

const WIDTH = 960;
const HEIGHT = 380;
const PANEL = { top: 56, bottom: 52, left: 64, right: 20, gap: 56 };
const COLORS = { train: '#1f77b4', test: '#ff7f0e', grid: '#e6e6e6', axis: '#333333', text: '#222222' };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Round numbers covering [min, max]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max - min < 1e-12) {
    const pad = Math.abs(max) > 1e-12 ? Math.abs(max) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.floor(min / step + 1e-9) * step;
  const last = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= last + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function tickLabel(value: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return value.toFixed(decimals);
}

interface Series {
  label: string;
  color: string;
  x: number[];
  y: number[];
  markers: boolean;
}

function fmt(n: number): string {
  return n.toFixed(1);
}

/** One panel: frame, grid, ticks, axis labels, the series, and a legend in the right corner (top or bottom, where the curves are not). */
function panel(x0: number, width: number, title: string, yLabel: string, series: Series[], xMax: number, yClamp: [number, number] | null, legendAt: 'top' | 'bottom'): string {
  const y0 = PANEL.top;
  const height = HEIGHT - PANEL.top - PANEL.bottom;
  const ys = series.flatMap((s) => s.y).filter(Number.isFinite);
  let yMin = ys.length ? Math.min(...ys) : 0;
  let yMax = ys.length ? Math.max(...ys) : 1;
  if (yClamp) {
    yMin = Math.max(yClamp[0], yMin);
    yMax = Math.min(yClamp[1], yMax);
  }
  let yTicks = niceTicks(yMin, yMax);
  if (yClamp) yTicks = yTicks.filter((t) => t >= yClamp[0] - 1e-9 && t <= yClamp[1] + 1e-9);
  if (yTicks.length < 2) yTicks = niceTicks(yMin - 1, yMax + 1);
  const yLo = yTicks[0];
  const yHi = yTicks[yTicks.length - 1];
  const xTicks = niceTicks(0, xMax, Math.min(8, Math.max(4, Math.ceil(xMax))));
  const xHi = xTicks[xTicks.length - 1];
  const px = (x: number) => x0 + (x / xHi) * width;
  const py = (y: number) => y0 + height - ((y - yLo) / (yHi - yLo)) * height;
  const out: string[] = [];
  out.push(`<text x="${fmt(x0 + width / 2)}" y="${y0 - 14}" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${fmt(x0)}" y1="${fmt(py(t))}" x2="${fmt(x0 + width)}" y2="${fmt(py(t))}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${fmt(x0 - 6)}" y="${fmt(py(t) + 4)}" text-anchor="end" font-size="11">${tickLabel(t, yTicks)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${fmt(px(t))}" y1="${fmt(y0 + height)}" x2="${fmt(px(t))}" y2="${fmt(y0 + height + 5)}" stroke="${COLORS.axis}"/>`);
    out.push(`<text x="${fmt(px(t))}" y="${fmt(y0 + height + 18)}" text-anchor="middle" font-size="11">${tickLabel(t, xTicks)}</text>`);
  }
  out.push(`<rect x="${fmt(x0)}" y="${fmt(y0)}" width="${fmt(width)}" height="${fmt(height)}" fill="none" stroke="${COLORS.axis}"/>`);
  out.push(`<text x="${fmt(x0 + width / 2)}" y="${fmt(y0 + height + 38)}" text-anchor="middle" font-size="12">epoch</text>`);
  out.push(`<text transform="translate(${fmt(x0 - 46)} ${fmt(y0 + height / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(yLabel)}</text>`);
  for (const s of series) {
    const points = s.x.map((x, i) => [x, s.y[i]] as const).filter(([, y]) => Number.isFinite(y));
    if (points.length === 0) continue;
    const clampY = (y: number) => Math.min(yHi, Math.max(yLo, y));
    const d = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${fmt(px(x))} ${fmt(py(clampY(y)))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`);
    if (s.markers) for (const [x, y] of points) out.push(`<circle cx="${fmt(px(x))}" cy="${fmt(py(clampY(y)))}" r="4" fill="${s.color}"/>`);
  }
  // Legend, on a white box so that curves behind it do not cross the text
  const legendTop = legendAt === 'top' ? y0 + 6 : y0 + height - 22 - (series.length - 1) * 18;
  out.push(`<rect x="${fmt(x0 + width - 128)}" y="${fmt(legendTop)}" width="112" height="${series.length * 18 + 4}" fill="#ffffff" fill-opacity="0.85" stroke="${COLORS.grid}"/>`);
  series.forEach((s, i) => {
    const lx = x0 + width - 120;
    const ly = legendAt === 'top' ? y0 + 18 + i * 18 : y0 + height - 10 - (series.length - 1 - i) * 18;
    out.push(`<line x1="${fmt(lx)}" y1="${fmt(ly - 4)}" x2="${fmt(lx + 22)}" y2="${fmt(ly - 4)}" stroke="${s.color}" stroke-width="2"/>`);
    if (s.markers) out.push(`<circle cx="${fmt(lx + 11)}" cy="${fmt(ly - 4)}" r="3.5" fill="${s.color}"/>`);
    out.push(`<text x="${fmt(lx + 28)}" y="${fmt(ly)}" font-size="12">${escapeXml(s.label)}</text>`);
  });
  return out.join('\n');
}

/**
 * The curves as an SVG document.
 *
 * Args:
 *   history: what training recorded.
 *   title: the line above the panels (e.g. "cnn on fashion-mnist").
 *   epochs: the x axis runs from 0 to at least this.
 */
export function renderSvg(history: History, title: string, epochs: number): string {
  const xMax = Math.max(epochs, ...history.train.epoch, ...history.test.epoch, 1e-3);
  const panelWidth = (WIDTH - PANEL.left - PANEL.right - PANEL.gap - PANEL.left) / 2;
  const leftX = PANEL.left;
  const rightX = PANEL.left + panelWidth + PANEL.gap + PANEL.left;
  const train = (key: 'loss' | 'accuracy'): Series => ({ label: 'train', color: COLORS.train, x: history.train.epoch, y: history.train[key], markers: false });
  const test = (key: 'loss' | 'accuracy'): Series => ({ label: 'test', color: COLORS.test, x: history.test.epoch, y: history.test[key], markers: true });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" fill="${COLORS.text}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`,
    panel(leftX, panelWidth, 'loss', 'cross-entropy loss', [train('loss'), test('loss')], xMax, [0, Infinity], 'top'),
    panel(rightX, panelWidth, 'accuracy', 'accuracy (%)', [train('accuracy'), test('accuracy')], xMax, [0, 100], 'bottom'),
    `</svg>`,
    '',
  ].join('\n');
}

/** The SVG in a minimal HTML page (also well-formed XML), with the per-epoch test results as a table below it. */
export function renderHtml(history: History, title: string, epochs: number): string {
  const svg = renderSvg(history, title, epochs).replace(/^<\?xml[^>]*>\n/, '');
  const rows = history.test.epoch
    .map((e, i) => `<tr><td>${e.toFixed(2)}</td><td>${history.test.loss[i].toFixed(4)}</td><td>${history.test.accuracy[i].toFixed(2)}%</td></tr>`)
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"/><title>${escapeXml(title)}</title>`,
    '<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px}table{border-collapse:collapse;margin-top:16px}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}</style></head>',
    '<body>',
    svg,
    '<table><thead><tr><th>epoch</th><th>test loss</th><th>test accuracy</th></tr></thead><tbody>',
    rows,
    '</tbody></table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The plot file's text for `path`: HTML for .html/.htm, SVG otherwise. */
export function renderPlot(path: string, history: History, title: string, epochs: number): string {
  return /\.html?$/i.test(path) ? renderHtml(history, title, epochs) : renderSvg(history, title, epochs);
}

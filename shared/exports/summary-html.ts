/**
 * The summary page: one self-contained HTML file (inline CSS and SVG; no script, font, image or
 * stylesheet from anywhere, and a Content-Security-Policy that forbids loading any), so it opens
 * from S3, an e-mail attachment or a laptop without a network.
 *
 * Every number is written twice: as visible text (thousands separators for reading) and as the
 * exact CSV text in a `data-value` attribute, which is what the tests compare with the CSV.
 */
import { describeWindow } from '../alerts/alert-message.js';
import type { SummaryData } from './summary.js';

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** `1234567.5` -> `1,234,567.5` (the CSV keeps Kaltura's text). */
export function readable(value: string): string {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n)) return value;
  return n.toLocaleString('en-US', { maximumFractionDigits: 4 });
}

const n = (value: string): number => (Number.isFinite(Number(value)) ? Number(value) : 0);
const px = (value: number): string => (Math.round(value * 10) / 10).toString();

function day(label: string): string {
  return /^\d{8}$/.test(label) ? `${label.slice(0, 4)}-${label.slice(4, 6)}-${label.slice(6, 8)}` : label;
}

/** Metric pairs: previous (grey) and this period (blue), each pair scaled to its own larger value. */
function metricsChart(data: SummaryData): string {
  const rowH = 46;
  const width = 640;
  const labelW = 170;
  const barMax = width - labelW - 120;
  const height = data.totals.length * rowH + 20;
  const rows = data.totals
    .map((t, i) => {
      const y = 10 + i * rowH;
      const max = Math.max(n(t.value), n(t.previous), 1);
      const wCur = (n(t.value) / max) * barMax;
      const wPrev = (n(t.previous) / max) * barMax;
      return `<g class="metric" data-metric="${esc(t.metric)}" data-value="${esc(t.value)}" data-previous="${esc(t.previous)}">
  <text x="0" y="${y + 17}" class="label">${esc(t.metric)}</text>
  <rect class="bar current" x="${labelW}" y="${y}" width="${px(wCur)}" height="18" rx="2"><title>${esc(t.metric)} this period: ${esc(t.value)}</title></rect>
  <text x="${px(labelW + wCur + 6)}" y="${y + 14}" class="num">${esc(readable(t.value))}</text>
  <rect class="bar previous" x="${labelW}" y="${y + 21}" width="${px(wPrev)}" height="12" rx="2"><title>${esc(t.metric)} previous period: ${esc(t.previous)}</title></rect>
  <text x="${px(labelW + wPrev + 6)}" y="${y + 32}" class="num muted">${esc(readable(t.previous))}</text>
</g>`;
    })
    .join('\n');
  return `<svg id="chart-metrics" class="chart" role="img" aria-label="This period versus the previous period, per metric" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">
${rows}
</svg>`;
}

/** Week-over-week change per metric: bars left (down, red) or right (up, green) of a zero line. */
function changeChart(data: SummaryData): string {
  const rowH = 30;
  const width = 640;
  const labelW = 170;
  const mid = labelW + (width - labelW) / 2;
  const half = (width - labelW) / 2 - 60;
  const maxAbs = Math.max(1, ...data.totals.map((t) => Math.abs(n(t.changePercent))));
  const height = data.totals.length * rowH + 20;
  const rows = data.totals
    .map((t, i) => {
      const y = 10 + i * rowH;
      const pct = t.changePercent === '' ? 0 : n(t.changePercent);
      const w = (Math.abs(pct) / maxAbs) * half;
      const x = pct >= 0 ? mid : mid - w;
      const text = t.changePercent === '' ? 'n/a' : `${pct > 0 ? '+' : ''}${t.changePercent} %`;
      const tx = pct >= 0 ? mid + w + 6 : mid - w - 6;
      return `<g class="change" data-metric="${esc(t.metric)}" data-change="${esc(t.changePercent)}">
  <text x="0" y="${y + 15}" class="label">${esc(t.metric)}</text>
  <rect class="bar ${pct >= 0 ? 'up' : 'down'}" x="${px(x)}" y="${y}" width="${px(Math.max(w, 1))}" height="20" rx="2"><title>${esc(t.metric)}: ${esc(text)}</title></rect>
  <text x="${px(tx)}" y="${y + 15}" class="num" text-anchor="${pct >= 0 ? 'start' : 'end'}">${esc(text)}</text>
</g>`;
    })
    .join('\n');
  return `<svg id="chart-change" class="chart" role="img" aria-label="Change versus the previous period, in percent" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">
<line x1="${mid}" y1="0" x2="${mid}" y2="${height}" class="axis"/>
${rows}
</svg>`;
}

/** The ranking metric per day of the window. */
function dailyChart(data: SummaryData): string {
  const width = 640;
  const height = 200;
  const base = 170;
  const count = Math.max(1, data.daily.length);
  const slot = (width - 20) / count;
  const max = Math.max(1, ...data.daily.map((d) => n(d.value)));
  const bars = data.daily
    .map((d, i) => {
      const h = (n(d.value) / max) * 140;
      const x = 10 + i * slot + slot * 0.15;
      return `<g class="day" data-day="${esc(d.day)}" data-value="${esc(d.value)}">
  <rect class="bar current" x="${px(x)}" y="${px(base - h)}" width="${px(slot * 0.7)}" height="${px(Math.max(h, 0.5))}" rx="2"><title>${esc(day(d.day))}: ${esc(d.value)}</title></rect>
  <text x="${px(x + slot * 0.35)}" y="${px(base - h - 4)}" class="num small" text-anchor="middle">${esc(readable(d.value))}</text>
  <text x="${px(x + slot * 0.35)}" y="${base + 16}" class="label small" text-anchor="middle">${esc(day(d.day).slice(5))}</text>
</g>`;
    })
    .join('\n');
  return `<svg id="chart-daily" class="chart" role="img" aria-label="${esc(data.topBy)} per day" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">
<line x1="0" y1="${base}" x2="${width}" y2="${base}" class="axis"/>
${bars}
</svg>`;
}

/** Top entries by the ranking metric. */
function topChart(data: SummaryData): string {
  const rowH = 26;
  const width = 640;
  const labelW = 260;
  const barMax = width - labelW - 90;
  const max = Math.max(1, ...data.top.map((e) => n(e.value)));
  const height = Math.max(1, data.top.length) * rowH + 10;
  const rows = data.top
    .map((e, i) => {
      const y = 5 + i * rowH;
      const w = (n(e.value) / max) * barMax;
      const name = e.name || e.id;
      const short = name.length > 32 ? `${name.slice(0, 31)}…` : name;
      return `<g class="entry" data-id="${esc(e.id)}" data-value="${esc(e.value)}">
  <text x="0" y="${y + 15}" class="label">${esc(`${i + 1}. ${short}`)}</text>
  <rect class="bar current" x="${labelW}" y="${y}" width="${px(Math.max(w, 1))}" height="20" rx="2"><title>${esc(name)} (${esc(e.id)}): ${esc(e.value)}</title></rect>
  <text x="${px(labelW + w + 6)}" y="${y + 15}" class="num">${esc(readable(e.value))}</text>
</g>`;
    })
    .join('\n');
  return `<svg id="chart-top" class="chart" role="img" aria-label="Top entries by ${esc(data.topBy)}" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">
${rows}
</svg>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
main{max-width:760px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#5b6475;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 16px;min-width:160px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .v{font-size:24px;font-weight:600}.card .m{color:#5b6475;font-size:12px}
.up-t{color:#1a7f37}.down-t{color:#c62828}.flat-t{color:#5b6475}
section{background:#fff;border-radius:8px;padding:12px 16px;margin-top:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.chart text{font:12px system-ui,sans-serif;fill:#1d2330}.chart .muted{fill:#7a8394}.chart .small{font-size:10px}
.bar.current{fill:#2f6fde}.bar.previous{fill:#b7c0cf}.bar.up{fill:#2e9e4f}.bar.down{fill:#d64545}.axis{stroke:#9aa3b2;stroke-width:1}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e6e8ec}td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{color:#7a8394;font-size:12px;margin-top:20px}
`;

export function renderSummaryHtml(data: SummaryData, options: { csvName: string }): string {
  const windowText = describeWindow(data.window);
  const previousText = describeWindow({ ...data.window, from: data.previousWindow.from, to: data.previousWindow.to });
  const cards = data.totals
    .map((t) => {
      const pct = t.changePercent;
      const cls = pct === '' || n(pct) === 0 ? 'flat-t' : n(pct) > 0 ? 'up-t' : 'down-t';
      const arrow = pct === '' ? '' : n(pct) > 0 ? '▲ ' : n(pct) < 0 ? '▼ ' : '';
      return `<div class="card" data-metric="${esc(t.metric)}" data-value="${esc(t.value)}" data-previous="${esc(t.previous)}" data-change="${esc(pct)}">
<div class="m">${esc(t.metric)}</div><div class="v">${esc(readable(t.value))}</div>
<div class="${cls}">${pct === '' ? 'no previous data' : `${arrow}${n(pct) > 0 ? '+' : ''}${esc(pct)} %`}</div><div class="m">previous ${esc(readable(t.previous))}</div></div>`;
    })
    .join('\n');
  const topRows = data.top
    .map((e, i) => `<tr data-id="${esc(e.id)}" data-value="${esc(e.value)}"><td>${i + 1}</td><td>${esc(e.name)}</td><td><code>${esc(e.id)}</code></td><td class="n">${esc(readable(e.value))}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(data.title)} — ${esc(data.window.label)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${esc(data.title)}</h1>
<p class="sub">${esc(windowText)} · compared with ${esc(previousText)} · report ${esc(data.reportType)}</p>
<div class="cards" id="key-metrics">
${cards}
</div>
<section><h2>This period and the previous one</h2>
${metricsChart(data)}
</section>
<section><h2>Change versus the previous period</h2>
${changeChart(data)}
</section>
<section><h2>${esc(data.topBy)} per day</h2>
${dailyChart(data)}
</section>
<section><h2>Top ${data.top.length} entries by ${esc(data.topBy)}</h2>
${data.top.length > 0 ? topChart(data) : '<p>No entry had data in this period.</p>'}
<table id="top-entries"><thead><tr><th>#</th><th>Entry</th><th>Id</th><th>${esc(data.topBy)}</th></tr></thead><tbody>
${topRows}
</tbody></table>
</section>
<footer>Schedule ${esc(data.rule)}, job ${esc(data.job)} · the numbers are those of ${esc(options.csvName)} beside this page · generated ${esc(data.generatedAt)}</footer>
</main>
</body>
</html>
`;
}

// Hand-written SVG charts: a line chart (with an optional target line) and a bar chart.
const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function frame(title, width, height) {
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  return svg;
}

function bounds(values, { min, max } = {}) {
  let lo = min ?? Math.min(...values);
  let hi = max ?? Math.max(...values);
  if (!isFinite(lo) || !isFinite(hi)) { lo = 0; hi = 1; }
  if (hi === lo) { hi = lo + 1; lo = lo - 1; }
  return [lo, hi];
}

/**
 * points: [{label, value}] in order; options: {title, unit, min, max, target}.
 * Returns an <svg>, or a note when there is nothing to draw.
 */
export function lineChart(points, { title = 'Trend', unit = '', min, max, target } = {}) {
  const width = 600, height = 200, left = 44, right = 10, top = 10, bottom = 28;
  const values = points.map(p => p.value).filter(v => v !== null && v !== undefined);
  const svg = frame(title, width, height);
  if (!values.length) {
    svg.append(s('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'No data yet'));
    return svg;
  }
  const [lo, hi] = bounds(target !== undefined && target !== null ? [...values, target] : values, { min, max });
  const x = i => left + (points.length === 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (points.length - 1));
  const y = v => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  svg.append(s('line', { class: 'axis', x1: left, y1: height - bottom, x2: width - right, y2: height - bottom }));
  svg.append(s('line', { class: 'axis', x1: left, y1: top, x2: left, y2: height - bottom }));
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.append(s('text', { x: left - 4, y: y(v) + 3, 'text-anchor': 'end' }, `${+v.toFixed(2)}${unit}`));
  }
  const step = Math.max(1, Math.ceil(points.length / 6));
  points.forEach((p, i) => {
    if (i % step === 0 || i === points.length - 1) {
      svg.append(s('text', { x: x(i), y: height - 8, 'text-anchor': 'middle' }, p.label));
    }
  });
  if (target !== undefined && target !== null) {
    svg.append(s('line', { class: 'target', x1: left, y1: y(target), x2: width - right, y2: y(target) }));
  }
  const d = points.map((p, i) => (p.value === null || p.value === undefined ? null : `${x(i)},${y(p.value)}`))
    .filter(Boolean).join(' L ');
  svg.append(s('path', { class: 'line', d: `M ${d}` }));
  points.forEach((p, i) => {
    if (p.value === null || p.value === undefined) return;
    const dot = s('circle', { cx: x(i), cy: y(p.value), r: 2.5, fill: 'currentColor' });
    dot.append(s('title', {}, `${p.label}: ${+p.value.toFixed(3)}${unit}`));
    svg.append(dot);
  });
  return svg;
}

/** bars: [{label, value}]; options: {title, unit, max}. */
export function barChart(bars, { title = 'Bars', unit = '', max } = {}) {
  const width = 600, height = 200, left = 44, bottom = 28, top = 10;
  const svg = frame(title, width, height);
  if (!bars.length) {
    svg.append(s('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'No data yet'));
    return svg;
  }
  const hi = max ?? Math.max(1, ...bars.map(b => b.value));
  const slot = (width - left - 10) / bars.length;
  svg.append(s('line', { class: 'axis', x1: left, y1: height - bottom, x2: width - 10, y2: height - bottom }));
  svg.append(s('text', { x: left - 4, y: top + 8, 'text-anchor': 'end' }, `${+hi.toFixed(2)}${unit}`));
  const step = Math.max(1, Math.ceil(bars.length / 8));
  bars.forEach((b, i) => {
    const h = (Math.max(0, b.value) / hi) * (height - top - bottom);
    const rect = s('rect', { class: 'bar', x: left + i * slot + slot * 0.15, y: height - bottom - h, width: slot * 0.7, height: h });
    rect.append(s('title', {}, `${b.label}: ${+b.value.toFixed(3)}${unit}`));
    svg.append(rect);
    if (i % step === 0) svg.append(s('text', { x: left + i * slot + slot / 2, y: height - 8, 'text-anchor': 'middle' }, b.label));
  });
  return svg;
}

/** An error-budget bar: remaining fraction (0–1, below 0 once breached). */
export function budgetBar(fraction, label) {
  const wrap = document.createElement('div');
  wrap.className = 'budget';
  wrap.setAttribute('role', 'meter');
  wrap.setAttribute('aria-valuemin', '0');
  wrap.setAttribute('aria-valuemax', '100');
  const value = Math.max(0, Math.min(1, fraction ?? 0));
  wrap.setAttribute('aria-valuenow', String(Math.round(value * 100)));
  wrap.setAttribute('aria-label', label || 'Error budget left');
  const fill = document.createElement('span');
  fill.style.width = `${value * 100}%`;
  fill.style.background = value > 0.5 ? 'var(--ok)' : value > 0.2 ? 'var(--warn)' : 'var(--bad)';
  wrap.append(fill);
  return wrap;
}

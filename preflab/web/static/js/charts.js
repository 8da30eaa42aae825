// Small SVG charts built with DOM calls (no library, no innerHTML, nothing fetched). Each chart
// is an <svg role="img"> named by its own <title> and described by a <desc>; every mark carries
// a <title> too, so hovering it (or a screen reader's exploration) tells its exact value.
// Geometry goes in attributes and colours in classes (app.css): the page's Content-Security-Policy
// allows no inline style attributes.

const NS = "http://www.w3.org/2000/svg";
let serial = 0;

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function tip(text) {
  return svg("title", { text });
}

// A chart's root: the viewBox scales with the box it sits in, the text stays legible down to
// about half its drawn size.
function root(width, height, title, desc, cls) {
  const id = `chart-${++serial}`;
  return svg(
    "svg",
    {
      viewBox: `0 0 ${width} ${height}`,
      class: `chart ${cls || ""}`.trim(),
      role: "img",
      "aria-labelledby": `${id}-title ${id}-desc`,
      preserveAspectRatio: "xMidYMid meet",
    },
    svg("title", { id: `${id}-title`, text: title }),
    svg("desc", { id: `${id}-desc`, text: desc }),
  );
}

// Round tick values (1, 2, 2.5 or 5 times a power of ten) from 0 (or lo) to at least hi.
export function niceTicks(lo, hi, count = 4) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
  const start = Math.floor(lo / step + 1e-9) * step;
  const ticks = [];
  for (let v = start; v < hi + step - 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function shorten(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// Vertical bars, each a stack of segments: bars = [{label, segments: [{value, cls}], title}].
// Only every n-th label is written when there are many.
export function barChart({ title, desc, bars, yLabel, xLabel, width = 560, height = 230, format = String }) {
  const m = { left: 52, right: 12, top: 14, bottom: xLabel ? 44 : 30 };
  const chart = root(width, height, title, desc, "bars");
  const totals = bars.map((b) => b.segments.reduce((s, x) => s + x.value, 0));
  const ticks = niceTicks(0, Math.max(1, ...totals));
  const top = ticks[ticks.length - 1];
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const y = (v) => m.top + plotH - (v / top) * plotH;
  const grid = svg("g", { class: "axis" });
  for (const t of ticks) {
    grid.append(
      svg("line", { x1: m.left, x2: width - m.right, y1: y(t), y2: y(t), class: t === 0 ? "baseline" : "gridline" }),
      svg("text", { x: m.left - 6, y: y(t) + 4, "text-anchor": "end", text: format(t) }),
    );
  }
  if (yLabel) {
    grid.append(
      svg("text", {
        x: 12,
        y: m.top + plotH / 2,
        "text-anchor": "middle",
        transform: `rotate(-90 12 ${m.top + plotH / 2})`,
        class: "axis-label",
        text: yLabel,
      }),
    );
  }
  if (xLabel) grid.append(svg("text", { x: m.left + plotW / 2, y: height - 4, "text-anchor": "middle", class: "axis-label", text: xLabel }));
  chart.append(grid);
  const slot = plotW / Math.max(1, bars.length);
  const barW = Math.max(1, Math.min(48, slot * 0.72));
  const every = Math.max(1, Math.ceil(bars.length / Math.floor(plotW / 64)));
  const marks = svg("g", { class: "marks" });
  bars.forEach((bar, i) => {
    const x = m.left + slot * i + (slot - barW) / 2;
    const group = svg("g", { class: "bar" }, tip(bar.title));
    let base = 0;
    for (const seg of bar.segments) {
      if (seg.value > 0) {
        group.append(svg("rect", { x, y: y(base + seg.value), width: barW, height: Math.max(0.5, y(base) - y(base + seg.value)), class: seg.cls }));
      }
      base += seg.value;
    }
    // an invisible full-height target, so that thin bars still show their title on hover
    group.append(svg("rect", { x: m.left + slot * i, y: m.top, width: slot, height: plotH, class: "hit" }));
    marks.append(group);
    if (i % every === 0) {
      marks.append(svg("text", { x: x + barW / 2, y: m.top + plotH + 16, "text-anchor": "middle", class: "tick", text: bar.label }));
    }
  });
  chart.append(marks);
  return chart;
}

// Horizontal bars with their value written after them: rows = [{label, value, note, cls, title}].
export function hbarChart({ title, desc, rows, width = 560, format = String }) {
  const rowH = 28;
  const m = { left: 130, right: 110, top: 6, bottom: 6 };
  const height = m.top + m.bottom + rowH * rows.length;
  const chart = root(width, height, title, desc, "hbars");
  const max = Math.max(1, ...rows.map((r) => r.value));
  const plotW = width - m.left - m.right;
  rows.forEach((r, i) => {
    const top = m.top + i * rowH;
    const w = (r.value / max) * plotW;
    chart.append(
      svg(
        "g",
        { class: "bar" },
        tip(r.title),
        svg("text", { x: m.left - 8, y: top + rowH / 2 + 4, "text-anchor": "end", class: "label", text: r.label }),
        svg("rect", { x: m.left, y: top + 5, width: plotW, height: rowH - 10, class: "track" }),
        r.value > 0 ? svg("rect", { x: m.left, y: top + 5, width: Math.max(1, w), height: rowH - 10, class: r.cls }) : null,
        svg("text", { x: m.left + Math.max(w, 0) + 6, y: top + rowH / 2 + 4, class: "value", text: `${format(r.value)}${r.note ? ` ${r.note}` : ""}` }),
      ),
    );
  });
  return chart;
}

// A share on a 0-100% track with a mark at one half: position bias at a glance.
export function shareMeter({ title, desc, share, width = 560 }) {
  const height = 42;
  const m = { left: 8, right: 8 };
  const chart = root(width, height, title, desc, "meter");
  const plotW = width - m.left - m.right;
  const x = (v) => m.left + v * plotW;
  chart.append(
    svg("rect", { x: m.left, y: 8, width: plotW, height: 12, rx: 6, class: "track" }),
    share == null ? null : svg("rect", { x: m.left, y: 8, width: Math.max(1, share * plotW), height: 12, rx: 6, class: "fill" }),
    svg("line", { x1: x(0.5), x2: x(0.5), y1: 3, y2: 25, class: "half" }),
    svg("text", { x: m.left, y: 38, class: "tick", text: "0%" }),
    svg("text", { x: x(0.5), y: 38, "text-anchor": "middle", class: "tick", text: "50% (no bias)" }),
    svg("text", { x: width - m.right, y: 38, "text-anchor": "end", class: "tick", text: "100%" }),
  );
  return chart;
}

// Dot and whisker: rows = [{label, value, low, high, title}] on one horizontal scale, with a
// dashed reference line (e.g. the average score).
export function whiskerChart({ title, desc, rows, reference, referenceLabel, width = 560, format = String, xLabel }) {
  const rowH = 30;
  const longest = Math.max(4, ...rows.map((r) => Math.min(r.label.length, 22)));
  const m = { left: Math.max(72, Math.min(width * 0.4, 24 + longest * 7.5)), right: 24, top: 8, bottom: 42 };
  const height = m.top + m.bottom + rowH * rows.length;
  const chart = root(width, height, title, desc, "whiskers");
  const values = rows.flatMap((r) => [r.value, r.low, r.high]).filter((v) => v != null && Number.isFinite(v));
  if (reference != null) values.push(reference);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const pad = Math.max((hi - lo) * 0.06, 1);
  const ticks = niceTicks(lo - pad, hi + pad, Math.max(2, Math.min(6, Math.floor((width - m.left - m.right) / 80))));
  lo = ticks[0];
  hi = ticks[ticks.length - 1];
  const plotW = width - m.left - m.right;
  const plotBottom = m.top + rowH * rows.length;
  const x = (v) => m.left + ((v - lo) / (hi - lo)) * plotW;
  const axis = svg("g", { class: "axis" });
  for (const t of ticks) {
    axis.append(
      svg("line", { x1: x(t), x2: x(t), y1: m.top, y2: plotBottom, class: "gridline" }),
      svg("text", { x: x(t), y: plotBottom + 16, "text-anchor": "middle", class: "tick", text: format(t) }),
    );
  }
  if (xLabel) axis.append(svg("text", { x: width - m.right, y: height - 4, "text-anchor": "end", class: "axis-label", text: xLabel }));
  if (reference != null) {
    axis.append(svg("line", { x1: x(reference), x2: x(reference), y1: m.top, y2: plotBottom, class: "reference" }, tip(referenceLabel || format(reference))));
  }
  // alternate bands under the grid, then the grid, then the marks
  chart.append(...rows.map((_, i) => svg("rect", { x: 0, y: m.top + i * rowH, width, height: rowH, class: i % 2 ? "hit" : "hit band" })));
  chart.append(axis);
  rows.forEach((r, i) => {
    const cy = m.top + i * rowH + rowH / 2;
    const group = svg("g", { class: "row" }, tip(r.title));
    group.append(svg("rect", { x: 0, y: cy - rowH / 2, width, height: rowH, class: "hit" }));
    group.append(
      svg("text", { x: m.left - 10, y: cy + 4, "text-anchor": "end", class: "label", text: shorten(r.label, Math.max(4, Math.floor((m.left - 24) / 7.5))) }),
    );
    if (r.low != null && r.high != null) {
      group.append(
        svg("line", { x1: x(r.low), x2: x(r.high), y1: cy, y2: cy, class: "whisker" }),
        svg("line", { x1: x(r.low), x2: x(r.low), y1: cy - 6, y2: cy + 6, class: "whisker" }),
        svg("line", { x1: x(r.high), x2: x(r.high), y1: cy - 6, y2: cy + 6, class: "whisker" }),
      );
    }
    group.append(svg("circle", { cx: x(r.value), cy, r: 5.5, class: "dot" }));
    chart.append(group);
  });
  return chart;
}

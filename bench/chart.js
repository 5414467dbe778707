// Hand-written SVG bar chart of decode throughput relative to ws + bufferutil. Log2 y axis
// so 2× faster and 2× slower are the same distance from the 1× baseline.

const PALETTE = {
  'ws (pure JS)': '#9e9e9e',
  'websocket-driver': '#8d6e63',
  'wscodec wasm': '#1565c0',
  'wscodec wasm zeroCopy': '#64b5f6',
  'wscodec js': '#ef6c00',
  'wscodec native': '#2e7d32',
};
const EXTRA = ['#6a1b9a', '#00838f', '#c62828', '#ad1457'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x) => Number(x.toFixed(1));

/**
 * @param cases decode results (see decode.js), each with .label, .size and .results[].vsWsBu
 * @param targets evaluated targets; the ones against ws + bufferutil are drawn as ticks
 */
export function ratiosSvg(
  cases,
  targets = [],
  { title = 'Decode throughput relative to ws + bufferutil (higher is better)', subtitle = '' } = {},
) {
  const names = [];
  for (const c of cases) for (const r of c.results) if (r.name !== 'ws + bufferutil' && !names.includes(r.name)) names.push(r.name);
  let extra = 0;
  const color = Object.fromEntries(names.map((n) => [n, PALETTE[n] ?? EXTRA[extra++ % EXTRA.length]]));

  const ratios = cases.flatMap((c) => c.results.map((r) => r.vsWsBu)).filter((x) => Number.isFinite(x) && x > 0);
  const lo = Math.min(0.5, 2 ** Math.floor(Math.log2(Math.min(...ratios, 1))));
  const hi = Math.max(2, 2 ** Math.ceil(Math.log2(Math.max(...ratios, 1))));

  const W = 980;
  const H = 460;
  const legend = ['ws + bufferutil', ...names];
  const legendRows = Math.ceil(legend.length / 4);
  const m = { left: 64, right: 16, top: 66 + legendRows * 18, bottom: 44 };
  const plotW = W - m.left - m.right;
  const plotH = H - m.top - m.bottom;
  const y = (r) => m.top + plotH * (1 - (Math.log2(r) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo)));
  const groupW = plotW / Math.max(1, cases.length);
  const barW = Math.min(26, (groupW * 0.8) / Math.max(1, names.length));

  const s = [];
  s.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
  );
  s.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  s.push(`<text x="${m.left}" y="22" font-size="15" font-weight="600">${esc(title)}</text>`);
  if (subtitle) s.push(`<text x="${m.left}" y="40" fill="#555">${esc(subtitle)}</text>`);

  legend.forEach((n, i) => {
    const lx = m.left + (i % 4) * 220;
    const ly = 64 + Math.floor(i / 4) * 18;
    const swatch =
      i === 0
        ? `<line x1="${lx}" x2="${lx + 12}" y1="${ly - 4}" y2="${ly - 4}" stroke="#000" stroke-width="1.5"/>`
        : `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color[n]}"/>`;
    s.push(`${swatch}<text x="${lx + 18}" y="${ly}">${esc(i === 0 ? 'ws + bufferutil (baseline, 1×)' : n)}</text>`);
  });

  // Grid at every power of two; the 1× line is the baseline.
  for (let r = lo; r <= hi * 1.0001; r *= 2) {
    const yy = num(y(r));
    const base = Math.abs(r - 1) < 1e-9;
    s.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${yy}" y2="${yy}" stroke="${base ? '#000' : '#e0e0e0'}" stroke-width="${base ? 1.5 : 1}"/>`,
    );
    const label = r >= 1 ? `${r}×` : `1/${1 / r}×`;
    s.push(`<text x="${m.left - 6}" y="${yy + 4}" text-anchor="end" fill="#444">${label}</text>`);
  }

  cases.forEach((c, g) => {
    const gx = m.left + g * groupW;
    const present = names.filter((n) => c.results.some((r) => r.name === n));
    const x0 = gx + (groupW - present.length * barW) / 2;
    present.forEach((n, i) => {
      const r = c.results.find((row) => row.name === n);
      const ratio = r.vsWsBu;
      if (!Number.isFinite(ratio) || ratio <= 0) return;
      const x = num(x0 + i * barW);
      const y1 = y(1);
      const y2 = y(Math.min(Math.max(ratio, lo), hi));
      const top = num(Math.min(y1, y2));
      const h = num(Math.max(1, Math.abs(y2 - y1)));
      const bad = r.ok === false ? ' stroke="#d50000" stroke-width="2" stroke-dasharray="3 2"' : '';
      s.push(
        `<rect x="${x}" y="${top}" width="${num(barW - 2)}" height="${h}" fill="${color[n]}"${bad}><title>${esc(`${n} @ ${c.label}: ${ratio.toFixed(2)}× ws + bufferutil${r.ok === false ? ' (OUTPUT CHECK FAILED)' : ''}`)}</title></rect>`,
      );
      const ty = ratio >= 1 ? top - 3 : top + h + 10;
      s.push(
        `<text x="${num(x + (barW - 2) / 2)}" y="${num(ty)}" text-anchor="middle" font-size="9" fill="#333">${ratio >= 10 ? ratio.toFixed(0) : ratio >= 0.1 ? ratio.toFixed(1) : ratio.toFixed(2)}</text>`,
      );
      for (const t of targets) {
        if (t.contender !== n || t.size !== c.size || t.vs !== 'vsWsBu') continue;
        const ty2 = num(y(t.min));
        s.push(
          `<line x1="${x - 3}" x2="${num(x + barW + 1)}" y1="${ty2}" y2="${ty2}" stroke="#d50000" stroke-width="2" stroke-dasharray="4 2"><title>${esc(`target ${t.min}×: ${t.met ? 'met' : 'missed'}`)}</title></line>`,
        );
      }
    });
    s.push(`<text x="${num(gx + groupW / 2)}" y="${H - m.bottom + 18}" text-anchor="middle" font-weight="600">${esc(c.label)}</text>`);
  });
  s.push(
    `<text x="${W - m.right}" y="${H - 8}" text-anchor="end" fill="#777" font-size="10">red dashed tick = target; bars from the 1× line, log2 scale</text>`,
  );
  s.push('</svg>');
  return s.join('\n') + '\n';
}

// A call's ladder as SVG: one lane per party (the switch in the middle, SIP peers to its left,
// signalling gateways and media gateways to its right), one arrow per message in time order,
// labelled with what it was; clicking an arrow shows the message itself.
const NS = 'http://www.w3.org/2000/svg';
const LANE_GAP = 230;
const ROW = 30;
const TOP = 64;
const LEFT = 110;

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const PROTOCOL_NAME = { sip: 'SIP', isup: 'ISUP (M3UA/SCTP)', mgcp: 'MGCP', megaco: 'H.248' };

/** Lanes: peers of SIP on the left, the switch, then ISUP and MGCP peers. */
function lanesOf(entries) {
  const left = [];
  const right = [];
  const seen = new Map();
  for (const e of entries) {
    const key = `${e.protocol}|${e.remote ?? '?'}`;
    if (seen.has(key)) continue;
    const lane = { key, title: e.protocol === 'sip' ? 'SIP peer' : e.protocol === 'isup' ? 'SS7 (SG)' : 'media gateway', sub: `${PROTOCOL_NAME[e.protocol]} ${e.remote ?? ''}` };
    seen.set(key, lane);
    (e.protocol === 'sip' ? left : right).push(lane);
  }
  const all = [...left, { key: 'switch', title: 'softswitch', sub: '' }, ...right];
  all.forEach((l, i) => (l.x = LEFT + i * LANE_GAP));
  return { all, byKey: (e) => seen.get(`${e.protocol}|${e.remote ?? '?'}`), sw: all.find((l) => l.key === 'switch') };
}

export function renderLadder(container, entries, onSelect) {
  container.replaceChildren();
  const { all, byKey, sw } = lanesOf(entries);
  const width = LEFT + (all.length - 1) * LANE_GAP + 120;
  const height = TOP + entries.length * ROW + 30;
  const svg = el('svg', { xmlns: NS, width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'call ladder' });
  svg.append(el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }));
  for (const l of all) {
    svg.append(el('text', { x: l.x, y: 20, 'text-anchor': 'middle', class: 'lane-title' }, l.title));
    if (l.sub) svg.append(el('text', { x: l.x, y: 36, 'text-anchor': 'middle', class: 'lane-sub' }, l.sub));
    svg.append(el('line', { x1: l.x, y1: 44, x2: l.x, y2: height - 10, stroke: '#98a2b3', 'stroke-dasharray': '4 3' }));
  }
  const t0 = entries.length ? Date.parse(entries[0].time) : 0;
  entries.forEach((e, i) => {
    const y = TOP + i * ROW;
    const peer = byKey(e);
    const [from, to] = e.dir === 'out' ? [sw, peer] : [peer, sw];
    const g = el('g', { class: `msg ${e.protocol}`, 'data-label': e.label, 'data-seq': e.seq, tabindex: 0 });
    const dirSign = to.x > from.x ? 1 : -1;
    g.append(el('line', { x1: from.x, y1: y, x2: to.x - dirSign * 8, y2: y, 'stroke-width': 2 }));
    g.append(el('polygon', { points: `${to.x},${y} ${to.x - dirSign * 9},${y - 5} ${to.x - dirSign * 9},${y + 5}` }));
    const label = e.cic !== undefined ? `${e.label} (CIC ${e.cic})` : e.label;
    g.append(el('text', { x: (from.x + to.x) / 2, y: y - 5, 'text-anchor': 'middle' }, label));
    g.append(el('title', {}, `${e.protocol.toUpperCase()} ${e.dir === 'out' ? 'sent to' : 'received from'} ${e.remote ?? '?'} at ${e.time}`));
    g.addEventListener('click', () => onSelect(e));
    svg.append(el('text', { x: 8, y: y + 4, class: 'time' }, `+${((Date.parse(e.time) - t0) / 1000).toFixed(3)}s`));
    svg.append(g);
  });
  container.append(svg);
}

// The NOC console: sign-in, then views over the admin API (circuits with block/unblock/reset,
// M3UA associations, gateways, active calls with tear-down, one call's ladder). Every view
// refreshes itself while shown. No framework: DOM calls only, no HTML built from API strings.
import { api, token, Unauthorized } from './api.js';
import { renderLadder } from './ladder.js';

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 1500;

const state = { view: 'circuits', tg: undefined, cic: undefined, circuits: [], ladderCall: undefined, timer: undefined };

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  return td;
}

function row(cells) {
  const tr = document.createElement('tr');
  tr.append(...cells.map((c) => (c instanceof Node ? wrap(c) : cell(c))));
  return tr;
}

function wrap(node) {
  const td = document.createElement('td');
  td.append(node);
  return td;
}

function button(text, onClick, attrs = {}) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  for (const [k, v] of Object.entries(attrs)) b.setAttribute(k, v);
  b.addEventListener('click', onClick);
  return b;
}

function stateClass(s) {
  if (s === 'ASP_ACTIVE' || s === true || s === 'up') return 'state-up';
  if (s === 'ASP_DOWN' || s === false || s === 'down') return 'state-down';
  return 'state-other';
}

// ---------------------------------------------------------------- sign-in

function showLogin(message = '') {
  clearTimeout(state.timer);
  $('login').hidden = false;
  $('nav').hidden = true;
  $('who').hidden = true;
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  $('login-error').textContent = message;
  $('token').focus();
}

async function signIn() {
  // A read any role may make: says whether the token (or no token, with authentication off) is accepted.
  const ss7 = await api.get('/api/v1/ss7');
  $('login').hidden = true;
  $('nav').hidden = false;
  $('who').hidden = false;
  $('who-text').textContent = token.get() ? 'signed in with a token' : 'authentication is off (lab)';
  $('ss7-summary').textContent = ss7.localPointCode ? `local point code ${ss7.localPointCode} (${ss7.variant})` : '';
  show(location.hash.slice(1) || state.view);
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const value = $('token').value.trim();
  if (!value) return;
  token.set(value);
  try {
    await signIn();
    $('token').value = '';
  } catch (err) {
    token.clear();
    showLogin(err instanceof Unauthorized ? 'That token was refused (401): check it, or create one with `softswitch api token create`.' : String(err.message ?? err));
  }
});

$('logout').addEventListener('click', () => {
  token.clear();
  showLogin('Signed out.');
});

// ---------------------------------------------------------------- views

const views = { circuits: refreshCircuits, signalling: refreshSignalling, gateways: refreshGateways, calls: refreshCalls, ladder: refreshLadder };

function show(view) {
  if (!views[view]) view = 'circuits';
  state.view = view;
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
  for (const b of document.querySelectorAll('nav button')) b.classList.toggle('active', b.dataset.view === view);
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== `view-${view}`;
  void tick();
}

async function tick() {
  clearTimeout(state.timer);
  try {
    await views[state.view]();
  } catch (err) {
    if (err instanceof Unauthorized) {
      token.clear();
      return showLogin('The API refused the token (401). Sign in again.');
    }
    console.error(err);
  }
  // The ladder changes only when asked (Refresh); the other views follow the switch.
  if (state.view !== 'ladder') state.timer = setTimeout(tick, REFRESH_MS);
}

for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => show(b.dataset.view));

// ---------------------------------------------------------------- circuits

function circuitClass(c) {
  if (c.outOfService) return 'oos';
  if (c.call === 'outgoing') return 'busy-out';
  if (c.call === 'incoming') return 'busy-in';
  if (c.localBlocked) return 'blocked-local';
  if (c.remoteBlocked) return 'blocked-remote';
  return 'idle';
}

function circuitText(c) {
  const parts = [c.call === 'outgoing' || c.call === 'incoming' ? `${c.call} call` : 'no call'];
  if (c.localBlocked) parts.push(`blocked by us (${c.localHardwareBlocked ? 'hardware' : 'maintenance'})`);
  if (c.remoteBlocked) parts.push(`blocked by the far end (${c.remoteHardwareBlocked ? 'hardware' : 'maintenance'})`);
  if (c.outOfService) parts.push(`out of service (${typeof c.outOfService === 'string' ? c.outOfService : JSON.stringify(c.outOfService)})`);
  return parts.join(', ');
}

async function refreshCircuits() {
  const groups = await api.get('/api/v1/isup/trunk-groups');
  if (!state.tg || !groups.some((g) => g.id === state.tg)) state.tg = groups[0]?.id;
  $('tg-list').replaceChildren(
    ...groups.map((g) => {
      const card = document.createElement('div');
      card.className = `card${g.id === state.tg ? ' selected' : ''}`;
      card.dataset.tg = g.id;
      const title = document.createElement('strong');
      title.textContent = `${g.id} (${g.variant})`;
      const avail = document.createElement('div');
      avail.className = stateClass(g.available);
      avail.textContent = g.available ? 'available' : 'unavailable';
      const counts = document.createElement('div');
      counts.className = 'counts';
      counts.textContent = `${g.total} circuits: ${g.idle} idle, ${g.outgoing + g.incoming} busy, ${g.blocked} blocked, ${g.outOfService} out of service`;
      card.append(title, avail, counts);
      card.addEventListener('click', () => {
        state.tg = g.id;
        state.cic = undefined;
        void tick();
      });
      return card;
    }),
  );
  if (!state.tg) return;
  state.circuits = await api.get(`/api/v1/isup/trunk-groups/${encodeURIComponent(state.tg)}/circuits`);
  $('circuit-grid').replaceChildren(
    ...state.circuits.map((c) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `cic ${circuitClass(c)}${c.cic === state.cic ? ' selected' : ''}${c.pending?.length ? ' pending' : ''}`;
      b.dataset.cic = c.cic;
      b.dataset.state = circuitClass(c);
      b.textContent = c.cic;
      b.title = `CIC ${c.cic}: ${circuitText(c)}${c.pending?.length ? `; pending ${c.pending.join(', ')}` : ''}`;
      b.addEventListener('click', () => {
        state.cic = c.cic;
        $('cd-result').textContent = '';
        void tick();
      });
      return b;
    }),
  );
  renderCircuitDetail();
}

function renderCircuitDetail() {
  const c = state.circuits.find((x) => x.cic === state.cic);
  $('circuit-detail').hidden = !c;
  if (!c) return;
  $('cd-title').textContent = `${state.tg} CIC ${c.cic}`;
  const facts = [
    ['state', circuitText(c)],
    ['pending procedures', c.pending?.length ? c.pending.join(', ') : 'none'],
    ['call', c.callRef ?? '—'],
  ];
  $('cd-state').replaceChildren(
    ...facts.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
  $('act-ladder').hidden = !c.callRef;
}

async function circuitAction(action) {
  if (state.cic === undefined) return;
  const cic = state.cic;
  try {
    await api.post(`/api/v1/isup/trunk-groups/${encodeURIComponent(state.tg)}/circuits/${cic}/${action}`, {});
    $('cd-result').textContent = `${action} of CIC ${cic} accepted`;
  } catch (err) {
    if (err instanceof Unauthorized) throw err;
    $('cd-result').textContent = String(err.message ?? err);
  }
  void tick();
}

$('act-block').addEventListener('click', () => void circuitAction('block'));
$('act-unblock').addEventListener('click', () => void circuitAction('unblock'));
$('act-reset').addEventListener('click', () => void circuitAction('reset'));
$('act-ladder').addEventListener('click', () => {
  const c = state.circuits.find((x) => x.cic === state.cic);
  if (c?.callRef) openLadder(c.callRef);
});

// ---------------------------------------------------------------- signalling, gateways

async function refreshSignalling() {
  const ss7 = await api.get('/api/v1/ss7');
  $('ss7-summary').textContent = ss7.localPointCode ? `local point code ${ss7.localPointCode} (${ss7.variant})` : '';
  const tbody = $('sg-table').tBodies[0];
  tbody.replaceChildren(
    ...(ss7.signallingGateways ?? []).map((sg) => {
      const s = document.createElement('span');
      s.className = stateClass(sg.state);
      s.textContent = sg.state;
      return row([sg.sg, sg.address, s, sg.alarm ?? '']);
    }),
  );
}

async function refreshGateways() {
  const data = await api.get('/api/v1/trunk-groups');
  $('gw-table').tBodies[0].replaceChildren(
    ...(data.gateways ?? []).map((g) => {
      const s = document.createElement('span');
      s.className = stateClass(g.up);
      s.textContent = g.up ? 'up' : 'down';
      return row([g.gateway, s]);
    }),
  );
  $('tg-table').tBodies[0].replaceChildren(
    ...(data.trunkGroups ?? []).map((t) => row([t.id, t.dpc ?? '', t.gateway ?? '—', t.available ? 'yes' : 'no', t.idle, (t.outgoing ?? 0) + (t.incoming ?? 0), t.blocked])),
  );
}

// ---------------------------------------------------------------- calls

async function refreshCalls() {
  const [{ calls }, { trails }] = await Promise.all([api.get('/api/v1/calls'), api.get('/api/v1/call-trails?limit=20')]);
  $('calls-table').tBodies[0].replaceChildren(
    ...calls.map((c) => {
      const actions = document.createElement('span');
      actions.className = 'actions';
      actions.append(
        button('Ladder', () => openLadder(c.id), { 'data-call': c.id, class: 'open-ladder' }),
        button(
          'Release',
          async () => {
            if (!confirm(`Release call ${c.id} (${c.calling ?? '?'} → ${c.called}) on every side?`)) return;
            await api.post(`/api/v1/calls/${encodeURIComponent(c.id)}/release`, { cause: 16 }).catch((err) => alert(String(err.message ?? err)));
            void tick();
          },
          { 'data-call': c.id, class: 'release-call' },
        ),
      );
      const circuit = c.trunkGroup ? `${c.trunkGroup}/${c.cic ?? '?'}` : c.inTrunkGroup ? `${c.inTrunkGroup}/${c.inCic}` : '';
      return row([c.id.slice(0, 8), c.direction, c.state, c.calling ?? '', c.called, circuit, c.answerTime ?? c.startTime, actions]);
    }),
  );
  $('trails-table').tBodies[0].replaceChildren(
    ...trails.map((t) => row([t.callId, t.first, `${t.events}${t.dropped ? ` (+${t.dropped} dropped)` : ''}${t.active ? ' (active)' : ''}`, button('Ladder', () => openLadder(t.callId), { 'data-call': t.callId, class: 'open-ladder' })])),
  );
}

// ---------------------------------------------------------------- ladder

function openLadder(callId) {
  state.ladderCall = callId;
  show('ladder');
}

async function refreshLadder() {
  $('ladder-message').hidden = true;
  if (!state.ladderCall) {
    const { trails } = await api.get('/api/v1/call-trails?limit=1');
    state.ladderCall = trails[0]?.callId;
  }
  $('ladder-call').textContent = state.ladderCall ?? '(no call yet)';
  if (!state.ladderCall) {
    $('ladder').replaceChildren();
    $('ladder-note').textContent = 'No call has been recorded yet.';
    return;
  }
  const trail = await api.get(`/api/v1/calls/${encodeURIComponent(state.ladderCall)}/trail`);
  $('ladder-note').textContent = `${trail.entries.length} messages${trail.dropped ? `; ${trail.dropped} earlier ones no longer held` : ''}. Click a message to see it.`;
  renderLadder($('ladder'), trail.entries, (e) => {
    const pre = $('ladder-message');
    pre.hidden = false;
    pre.textContent = `${e.protocol.toUpperCase()} ${e.dir === 'out' ? 'sent to' : 'received from'} ${e.remote ?? '?'} at ${e.time}\n\n${e.text ?? e.hex ?? ''}`;
  });
}

$('ladder-refresh').addEventListener('click', () => void tick());
$('ladder-pcap').addEventListener('click', async () => {
  if (!state.ladderCall) return;
  try {
    const blob = await api.blob(`/api/v1/calls/${encodeURIComponent(state.ladderCall)}/trail.pcap`);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `call-${state.ladderCall}.pcap`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  } catch (err) {
    if (err instanceof Unauthorized) return showLogin('The API refused the token (401). Sign in again.');
    $('ladder-note').textContent = String(err.message ?? err);
  }
});

// ---------------------------------------------------------------- start

window.addEventListener('hashchange', () => {
  if (!$('nav').hidden) show(location.hash.slice(1));
});

signIn().catch((err) => {
  if (!(err instanceof Unauthorized)) return showLogin(String(err.message ?? err));
  const had = token.get();
  token.clear();
  showLogin(had ? 'The stored token was refused (401). Sign in again.' : '');
});

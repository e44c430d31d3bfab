// rollguard web console: one page, no framework, no CDN. Talks to the
// collector's /api/v1/<AdminService method> (proto3 JSON) with the session
// cookie and the CSRF header. Every value from the server goes into the page
// as text (textContent), never as HTML.
'use strict';

const S = { session: null, timers: [], charts: [] };
const $ = (id) => document.getElementById(id);
const main = () => $('main');

// ---- small helpers ---------------------------------------------------------

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'data') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) {
    if (kid === undefined || kid === null || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

const num = (v) => (v === undefined || v === null || v === '' ? null : Number(v));
function fmt(v, digits = 1) {
  const n = num(v);
  return n === null || Number.isNaN(n) ? '–' : n.toFixed(digits);
}
function fmtTime(ms) {
  const n = num(ms);
  if (!n || !Number.isFinite(n) || Math.abs(n) > 8.64e15) return '–';
  return new Date(n).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
function fmtAgo(ms) {
  const n = num(ms);
  if (!n) return '–';
  const s = Math.round((Date.now() - n) / 1000);
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 129600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
const canOperate = () => S.session && ['operator', 'admin'].includes(S.session.role);

function toast(text, error) {
  const t = $('toast');
  t.textContent = text;
  t.className = error ? 'error' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, error ? 8000 : 3000);
}

// Resolves true when the operator confirms.
function confirmAction(text) {
  return new Promise((resolve) => {
    const box = $('confirm');
    $('confirm-text').textContent = text;
    box.hidden = false;
    const done = (answer) => {
      box.hidden = true;
      $('confirm-yes').onclick = null;
      $('confirm-no').onclick = null;
      resolve(answer);
    };
    $('confirm-yes').onclick = () => done(true);
    $('confirm-no').onclick = () => done(false);
  });
}

class ApiError extends Error {
  constructor(message, status, code) { super(message); this.status = status; this.code = code; }
}

async function post(path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (S.session && S.session.csrf) headers['X-Rollguard-Csrf'] = S.session.csrf;
  const r = await fetch(path, {
    method: 'POST', headers, body: JSON.stringify(body || {}), credentials: 'same-origin',
  });
  const data = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) {
    if (r.status === 401 && path !== '/api/session') { S.session = null; showSignIn(data.error); }
    throw new ApiError(data.error || `HTTP ${r.status}`, r.status, data.code);
  }
  return data;
}
const api = (method, body) => post(`/api/v1/${method}`, body);

// Runs an operator action: confirmation, the call, a toast with the outcome.
async function act(text, method, body, after) {
  if (!(await confirmAction(text))) return;
  try {
    const out = await api(method, body);
    toast(`${method}: done`);
    if (after) after(out);
  } catch (e) {
    toast(`${method} refused: ${e.message}`, true);
  }
}

function every(ms, fn) { S.timers.push(setInterval(fn, ms)); }
function resetView(name) {
  for (const t of S.timers) clearInterval(t);
  S.timers = [];
  for (const c of S.charts) c.destroy();
  S.charts = [];
  document.body.dataset.view = name;
  delete main().dataset.ready;
  main().replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
}
function ready(...nodes) {
  main().replaceChildren(...nodes);
  main().dataset.ready = '1';
}
function failed(e) {
  ready(el('p', { class: 'bad', id: 'error' }, e.message));
}

function table(headers, rows, attrs) {
  return el('table', attrs || {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}
function stateClass(s) {
  s = String(s || '').toLowerCase();
  if (['succeeded', 'resolved', 'verified', 'ok', 'watching', 'connected', 'up', 'bot up', 'info'].includes(s)) return 'ok';
  if (['failed', 'firing', 'refused', 'expired', 'lost', 'halted', 'critical', 'down', 'bot down', 'offline'].includes(s)) return 'bad';
  return 'warn';
}
const pill = (s) => el('span', { class: `pill ${stateClass(s)}` }, s || '–');
const link = (href, text) => el('a', { href }, text);

// ---- session ---------------------------------------------------------------

async function loadSession() {
  const r = await fetch('/api/session', { credentials: 'same-origin' });
  S.session = (await r.json());
  if (!S.session.signed_in) S.session = Object.assign(S.session, { csrf: null });
  return S.session;
}

function showChrome() {
  const on = !!(S.session && S.session.signed_in);
  $('nav').hidden = !on;
  $('sign-out').hidden = !on;
  $('who').textContent = on ? `${S.session.who} (${S.session.role})` : '';
}

function showSignIn(why) {
  resetView('signin');
  showChrome();
  const needsToken = !S.session || S.session.needs_token !== false;
  const token = el('input', { id: 'token', type: 'password', autocomplete: 'off',
    placeholder: 'rollguard token' });
  const msg = el('p', { class: 'bad', id: 'signin-error' }, why || '');
  const submit = async (ev) => {
    ev.preventDefault();
    try {
      S.session = await post('/api/session', needsToken ? { token: token.value } : {});
      showChrome();
      route();
    } catch (e) {
      msg.textContent = e.message;
    }
  };
  ready(el('div', { class: 'card signin' },
    el('h1', {}, 'Sign in'),
    needsToken
      ? el('p', {}, 'Paste a token made with ', el('code', {}, 'rollguard pki token NAME --role viewer|operator'), '.')
      : el('p', {}, 'This collector listens in plaintext on loopback: the console acts as the local user, with every right.'),
    el('form', { onsubmit: submit, id: 'signin-form' },
      needsToken ? token : null,
      el('button', { class: 'primary', type: 'submit', id: 'signin' }, 'Sign in')),
    msg));
}

// ---- fleet -----------------------------------------------------------------

function drawSpark(canvas, values) {
  const w = canvas.width = 120, h = canvas.height = 24;
  const ctx = canvas.getContext('2d');
  const vals = values.filter((v) => v !== null);
  if (!vals.length) return;
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const span = hi - lo || 1;
  ctx.strokeStyle = '#2456c9';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let started = false;
  values.forEach((v, i) => {
    if (v === null) return;
    const x = (i / (values.length - 1)) * (w - 2) + 1;
    const y = h - 2 - ((v - lo) / span) * (h - 4);
    if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
  });
  ctx.stroke();
}

// Host ids come from agents: look them up as own keys only ("constructor").
const own = (obj, key) => (obj && Object.hasOwn(obj, key) ? obj[key] : undefined);

const lastValue = (line) => {
  for (let i = (line || []).length - 1; i >= 0; --i) if (line[i] !== null) return line[i];
  return null;
};

async function fleetView() {
  resetView('fleet');
  const t0 = performance.now();
  const metric = sessionStorage.getItem('spark') || 'error_rate';
  const [hosts, errors, spark, alerts, incidents] = await Promise.all([
    api('ListHosts'),
    post('/api/console/sparklines', { metric: 'error_rate', minutes: 30, points: 30 }),
    metric === 'error_rate' ? null : post('/api/console/sparklines', { metric, minutes: 30, points: 30 }),
    api('ListAlerts', {}),
    api('ListIncidents', {}).catch(() => ({ incidents: [] })),
  ]);
  const tApi = performance.now() - t0;
  const lines = (spark || errors).hosts;
  const list = hosts.hosts || [];
  const firing = (alerts.alerts || []).filter((a) => a.state === 'firing');
  const connected = list.filter((h) => h.connected).length;
  const botDown = list.filter((h) => h.bot_up === false).length;
  const select = el('select', { id: 'spark-metric', onchange: (e) => { sessionStorage.setItem('spark', e.target.value); fleetView(); } },
    ['error_rate', 'cpu_usage', 'memory_usage', 'avg_response_time', 'bot_memory_mb'].map(
      (m) => el('option', { value: m, selected: m === metric }, m)));
  const rows = list.map((h) => {
    const canvas = el('canvas', { class: 'spark' });
    const tr = el('tr', { data: { host: h.host_id } },
      el('td', {}, link(`#/host/${encodeURIComponent(h.host_id)}`, h.host_id)),
      el('td', {}, pill(h.connected ? 'connected' : 'offline')),
      el('td', {}, h.bot_up === undefined ? '–' : pill(h.bot_up ? 'up' : 'down')),
      el('td', { class: 'num' }, fmt(h.cpu_usage)),
      el('td', { class: 'num' }, fmt(h.memory_usage)),
      el('td', { class: 'num error-rate' }, fmt(lastValue(own(errors.hosts, h.host_id)))),
      el('td', {}, canvas),
      el('td', { class: 'muted' }, fmtAgo(h.last_seen_ms)),
      el('td', { class: 'muted' }, Object.entries(h.labels || {}).map(([k, v]) => `${k}=${v}`).join(' ')));
    drawSpark(canvas, own(lines, h.host_id) || []);
    return tr;
  });
  ready(
    el('h1', {}, 'Fleet'),
    el('div', { class: 'summary' },
      el('div', {}, el('b', { id: 'hosts-total' }, list.length), 'hosts'),
      el('div', {}, el('b', { class: connected < list.length ? 'warn' : 'ok' }, connected), 'connected'),
      el('div', {}, el('b', { class: botDown ? 'bad' : 'ok' }, botDown), 'bot down'),
      el('div', {}, el('b', { class: firing.length ? 'bad' : 'ok', id: 'firing-total' }, firing.length), 'alerts firing'),
      el('div', {}, el('b', {}, (incidents.incidents || []).length), 'open incidents')),
    el('div', { class: 'row' }, 'Sparkline (last 30 min):', select),
    table(['host', 'agent', 'bot', 'cpu %', 'mem %', 'errors %', metric, 'last seen', 'labels'], rows,
      { id: 'fleet-table' }));
  // For the browser test: where the time goes (the API calls, the drawing).
  // ready_ms: since this page's navigation began (performance's time origin).
  window.rgFleetTimings = { api_ms: tApi, total_ms: performance.now() - t0, ready_ms: performance.now() };
  every(15000, () => { if (!document.hidden) fleetView(); });
}

// ---- host ------------------------------------------------------------------

const RANGES = { '1h': 3600e3, '6h': 6 * 3600e3, '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3 };
const HEADLINE = ['cpu_usage', 'memory_usage', 'error_rate', 'avg_response_time', 'bot_up', 'bot_memory_mb'];

// Chart.js (200 KB) is loaded when a page first draws a chart, so the fleet
// page does not wait for it.
function loadChartJs() {
  if (!loadChartJs.promise) {
    loadChartJs.promise = new Promise((resolve, reject) => {
      const s = el('script', { src: '/assets/chart.js' });
      s.onload = resolve;
      s.onerror = () => reject(new Error('cannot load /assets/chart.js'));
      document.head.append(s);
    });
  }
  return loadChartJs.promise;
}

const PALETTE = ['#2456c9', '#1a7f37', '#b7791f', '#8250df', '#0a7ea4', '#bf3989'];

// A time chart over exactly [xmin, xmax]: the chosen range shows as chosen,
// however little of it has data.
function lineChart(canvas, datasets, xmin, xmax) {
  const span = xmax - xmin;
  const tick = (v) => new Date(v).toISOString().slice(span > 2 * 86400e3 ? 5 : 11, span > 2 * 86400e3 ? 16 : span < 600e3 ? 19 : 16).replace('T', ' ');
  const chart = new Chart(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false, parsing: false, normalized: true, maintainAspectRatio: false,
      elements: { point: { radius: 0 } },
      scales: { x: { type: 'linear', min: xmin, max: xmax, ticks: { maxTicksLimit: 6, callback: tick } } },
      plugins: { legend: { display: datasets.length > 1 }, decimation: { enabled: true, algorithm: 'lttb', samples: 400 } },
    },
  });
  S.charts.push(chart);
  return chart;
}

async function metricChart(host, metric, startMs, thresholds) {
  const box = el('div', { class: 'chart', data: { metric } });
  const canvas = el('canvas');
  box.append(el('b', {}, metric), canvas);
  try {
    const h = await api('QueryHistory', { host_id: host, metric, start_ms: String(Math.floor(startMs)), limit: 20000 });
    const sets = (h.series || []).map((s, i) => ({
      label: [metric, ...Object.entries(s.labels || {}).filter(([k]) => k !== 'host').map(([k, v]) => `${k}=${v}`)].join(' '),
      data: (s.points || []).map((p) => ({ x: Number(p.timestamp_ms), y: p.value })),
      borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length],
      borderWidth: 1.5,
    }));
    for (const t of thresholds || []) {
      sets.push({ label: t.label, data: [{ x: startMs, y: t.value }, { x: Date.now(), y: t.value }],
        borderColor: '#c0262d', backgroundColor: '#c0262d', borderDash: [6, 4], borderWidth: 1 });
    }
    await loadChartJs();
    const now = Date.now();
    requestAnimationFrame(() => {
      lineChart(canvas, sets, startMs, now);
      box.dataset.points = String(sets.reduce((n, s) => n + s.data.length, 0));
    });
  } catch (e) {
    box.append(el('p', { class: 'muted' }, e.message));
  }
  return box;
}

async function hostView(id) {
  resetView('host');
  const range = sessionStorage.getItem('range') || '1h';
  const [hosts, series, alerts, commands] = await Promise.all([
    api('ListHosts'), api('ListSeries', { host_id: id }), api('ListAlerts', { host_id: id }),
    api('ListCommands', { host_id: id, limit: 20 }).catch(() => ({ commands: [] })),
  ]);
  const h = (hosts.hosts || []).find((x) => x.host_id === id);
  if (!h) throw new Error(`unknown host '${id}'`);
  const metrics = [...new Set((series.series || []).map((s) => s.metric))].sort();
  const shown = HEADLINE.filter((m) => metrics.includes(m));
  const extra = sessionStorage.getItem(`extra:${id}`);
  if (extra && metrics.includes(extra) && !shown.includes(extra)) shown.push(extra);
  const start = Date.now() - RANGES[range];
  const charts = await Promise.all(shown.map((m) => metricChart(id, m, start)));

  const rangeSel = el('select', { id: 'range', onchange: (e) => { sessionStorage.setItem('range', e.target.value); hostView(id); } },
    Object.keys(RANGES).map((r) => el('option', { value: r, selected: r === range }, r)));
  const addSel = el('select', { id: 'add-metric', onchange: (e) => { sessionStorage.setItem(`extra:${id}`, e.target.value); hostView(id); } },
    el('option', { value: '' }, 'add a metric…'), metrics.filter((m) => !shown.includes(m)).map((m) => el('option', { value: m }, m)));

  const playbook = el('select', { id: 'playbook' }, (h.playbooks || []).map((p) => el('option', { value: p }, p)));
  const dry = el('input', { type: 'checkbox', id: 'dry-run' });
  const reason = el('input', { id: 'reason', placeholder: 'reason', size: 30 });
  const run = el('button', {
    class: 'danger', id: 'run-playbook', disabled: !canOperate() || !(h.playbooks || []).length,
    title: canOperate() ? '' : 'needs the operator role',
    onclick: () => act(`Run playbook '${playbook.value}'${dry.checked ? ' (dry run)' : ''} on ${id}?`, 'StartRollout',
      { playbook: playbook.value, host_ids: [id], dry_run: dry.checked, reason: reason.value || 'from the web console' },
      (r) => { location.hash = `#/rollout/${encodeURIComponent(r.id)}`; }),
  }, 'Run playbook…');

  ready(
    el('h1', {}, `Host ${id} `, pill(h.connected ? 'connected' : 'offline'), ' ',
      h.bot_up === undefined ? '' : pill(h.bot_up ? 'bot up' : 'bot down')),
    el('p', { class: 'muted' }, `agent ${h.agent_version || '?'} · last seen ${fmtAgo(h.last_seen_ms)} · `,
      Object.entries(h.labels || {}).map(([k, v]) => `${k}=${v}`).join(' ')),
    el('div', { class: 'card' }, el('b', {}, 'Playbooks '), playbook, el('label', {}, dry, ' dry run'), reason, run),
    el('div', { class: 'row' }, 'Range:', rangeSel, addSel),
    el('div', { class: 'charts' }, charts),
    el('h2', {}, 'Alerts'),
    alertTable(alerts.alerts || []),
    el('h2', {}, 'Recent commands'),
    commandTable(commands.commands || []));
}

// ---- alerts and silences ---------------------------------------------------

function alertTable(alerts) {
  return table(['host', 'rule', 'severity', 'state', 'value', 'since', ''], alerts.map((a) => el('tr', { data: { alert: a.id } },
    el('td', {}, link(`#/host/${encodeURIComponent(a.host_id)}`, a.host_id)),
    el('td', {}, a.rule), el('td', {}, pill(a.severity)),
    el('td', {}, pill(a.state), a.silenced ? ' silenced' : ''),
    el('td', { class: 'num' }, `${fmt(a.value, 2)} ${a.comparison} ${fmt(a.threshold, 2)}`),
    el('td', { class: 'muted' }, fmtAgo(a.active_since_ms)),
    el('td', {}, el('button', {
      class: 'silence', disabled: !canOperate(),
      onclick: () => act(`Silence ${a.rule} on ${a.host_id} for 1h?`, 'AddSilence',
        { matchers: { host: a.host_id, rule: a.rule }, duration_ms: String(3600e3), comment: 'from the web console' }, () => route()),
    }, 'Silence 1h')))), { class: 'alerts' });
}

async function alertsView() {
  resetView('alerts');
  const [alerts, silences] = await Promise.all([api('ListAlerts', {}), api('ListSilences', {})]);
  const host = el('input', { id: 'silence-host', placeholder: 'host' });
  const rule = el('input', { id: 'silence-rule', placeholder: 'rule' });
  const hours = el('select', { id: 'silence-for' }, [1, 2, 4, 8, 24].map((n) => el('option', { value: n }, `${n}h`)));
  const comment = el('input', { id: 'silence-comment', placeholder: 'comment', size: 30 });
  const add = el('button', {
    class: 'primary', id: 'add-silence', disabled: !canOperate(),
    onclick: () => {
      const matchers = {};
      if (host.value) matchers.host = host.value;
      if (rule.value) matchers.rule = rule.value;
      act(`Silence ${JSON.stringify(matchers)} for ${hours.value}h?`, 'AddSilence',
        { matchers, duration_ms: String(hours.value * 3600e3), comment: comment.value }, () => alertsView());
    },
  }, 'Add silence');
  ready(
    el('h1', {}, 'Alerts'),
    alertTable(alerts.alerts || []),
    el('h2', {}, 'Silences'),
    el('div', { class: 'row' }, host, rule, hours, comment, add),
    table(['id', 'matchers', 'ends', 'by', 'comment', ''], (silences.silences || []).map((s) => el('tr', { data: { silence: s.id } },
      el('td', {}, s.id), el('td', {}, Object.entries(s.matchers || {}).map(([k, v]) => `${k}=${v}`).join(' ')),
      el('td', {}, fmtTime(s.ends_ms)), el('td', {}, s.created_by), el('td', {}, s.comment),
      el('td', {}, el('button', { disabled: !canOperate(), onclick: () => act(`Remove silence ${s.id}?`, 'RemoveSilence', { id: s.id }, () => alertsView()) }, 'Remove')))),
    { id: 'silences' }),
    el('h2', {}, 'Receivers'),
    table(['name', 'type', 'sent', 'failed', 'dropped', 'last error'], (alerts.receivers || []).map((r) => el('tr', {},
      el('td', {}, r.name), el('td', {}, r.type), el('td', { class: 'num' }, r.sent), el('td', { class: 'num' }, r.failed),
      el('td', { class: 'num' }, r.dropped), el('td', { class: 'bad' }, r.last_error)))));
}

// ---- incidents -------------------------------------------------------------

async function incidentsView() {
  resetView('incidents');
  const list = await api('ListIncidents', { all: true });
  ready(el('h1', {}, 'Incidents'),
    table(['id', 'host', 'rule', 'severity', 'state', 'level', 'playbook', 'opened', 'summary'],
      (list.incidents || []).map((i) => el('tr', { data: { incident: i.id } },
        el('td', {}, link(`#/incident/${encodeURIComponent(i.id)}`, i.id)),
        el('td', {}, link(`#/host/${encodeURIComponent(i.host_id)}`, i.host_id)),
        el('td', {}, i.rule), el('td', {}, pill(i.severity)), el('td', {}, pill(i.state)),
        el('td', { class: 'num' }, i.level), el('td', {}, i.playbook), el('td', { class: 'muted' }, fmtTime(i.opened_ms)),
        el('td', {}, i.summary))), { id: 'incidents' }));
  every(5000, () => { if (!document.hidden) incidentsView(); });
}

async function incidentView(id) {
  resetView('incident');
  const i = await api('GetIncident', { id });
  const opened = Number(i.opened_ms);
  const evidence = i.metric
    ? await metricChart(i.host_id, i.metric, opened - 30 * 60e3, [{ label: `threshold ${i.comparison} ${i.threshold}`, value: i.threshold }])
    : el('p', { class: 'muted' }, 'no metric recorded');
  const closed = ['resolved', 'failed'].includes(i.state);
  ready(
    el('h1', {}, `Incident ${i.id} `, pill(i.state)),
    el('div', { class: 'card' },
      el('p', {}, el('b', {}, i.summary || i.rule)),
      el('p', {}, 'host ', link(`#/host/${encodeURIComponent(i.host_id)}`, i.host_id), ` · rule ${i.rule} · severity ${i.severity} · level ${i.level} · playbook ${i.playbook || '–'}`),
      i.held_reason ? el('p', { class: 'warn' }, `held: ${i.held_reason}`) : null,
      i.acked_by ? el('p', {}, `acknowledged by ${i.acked_by} ${fmtAgo(i.acked_ms)}`) : null,
      el('div', { class: 'row' },
        el('button', { class: 'primary', id: 'approve', disabled: !canOperate() || i.state !== 'proposed',
          onclick: () => act(`Approve running ${i.playbook} on ${i.host_id}?`, 'ApproveIncident', { id: i.id }, () => incidentView(id)) }, 'Approve'),
        el('button', { id: 'ack', disabled: !canOperate() || closed || !!i.acked_by,
          onclick: () => act(`Acknowledge incident ${i.id}?`, 'AckIncident', { id: i.id, comment: 'from the web console' }, () => incidentView(id)) }, 'Acknowledge'))),
    el('h2', {}, 'Evidence'), el('div', { class: 'charts' }, evidence),
    el('h2', {}, 'Timeline'),
    table(['at', 'what'], (i.timeline || []).map((t) => el('tr', {}, el('td', { class: 'muted' }, fmtTime(t.at_ms)), el('td', {}, t.what))), { id: 'timeline' }),
    el('h2', {}, 'Commands'),
    el('ul', {}, (i.command_ids || []).map((c) => el('li', {}, link(`#/command/${encodeURIComponent(c)}`, c)))));
  if (!closed) every(3000, async () => {
    const now = await api('GetIncident', { id }).catch(() => null);
    if (now && (now.state !== i.state || (now.timeline || []).length !== (i.timeline || []).length)) incidentView(id);
  });
}

// ---- rollbacks: commands and rollouts --------------------------------------

const FINAL = ['SUCCEEDED', 'FAILED', 'REFUSED', 'EXPIRED', 'LOST'];
function progress(c) {
  const steps = c.steps || [];
  const done = steps.filter((s) => ['ok', 'skipped', 'failed'].includes(s.status)).length;
  const total = steps.length ? steps[0].total || steps.length : 0;
  const last = [...steps].reverse().find((s) => s.status !== 'planned');
  return `${done}/${total || '?'}${last ? ` · ${last.name}` : ''}`;
}

function commandTable(list) {
  return table(['command', 'host', 'playbook', 'state', 'steps', 'by', 'created', 'rollout'], list.map((c) => el('tr', { data: { command: c.command.id } },
    el('td', {}, link(`#/command/${encodeURIComponent(c.command.id)}`, c.command.id)),
    el('td', {}, c.host_id), el('td', {}, c.command.playbook || (c.command.undo_of ? `undo of ${c.command.undo_of}` : '')),
    el('td', {}, pill(c.state), c.command.dry_run ? ' dry run' : '', c.command.drill ? ' drill' : ''),
    el('td', { class: 'steps-progress' }, progress(c)),
    el('td', {}, c.command.requested_by), el('td', { class: 'muted' }, fmtAgo(c.command.created_ms)),
    el('td', {}, c.command.rollout_id ? link(`#/rollout/${encodeURIComponent(c.command.rollout_id)}`, c.command.rollout_id) : ''))),
  { class: 'commands' });
}

// The rollouts among the recent commands (the API lists commands; a
// rollout's own page has its counters and every host).
function rolloutTable(commands) {
  const byId = new Map();
  for (const c of commands) {
    const id = c.command.rollout_id;
    if (!id) continue;
    const r = byId.get(id) || { id, playbook: c.command.playbook, by: c.command.requested_by, hosts: 0, done: 0, failed: 0, created: Number(c.command.created_ms) };
    r.hosts++;
    if (c.state === 'SUCCEEDED') r.done++;
    else if (FINAL.includes(c.state)) r.failed++;
    r.created = Math.min(r.created, Number(c.command.created_ms));
    byId.set(id, r);
  }
  return table(['rollout', 'playbook', 'hosts', 'succeeded', 'failed', 'by', 'started'], [...byId.values()].map((r) => el('tr', { data: { rollout: r.id } },
    el('td', {}, link(`#/rollout/${encodeURIComponent(r.id)}`, r.id)), el('td', {}, r.playbook),
    el('td', { class: 'num' }, r.hosts), el('td', { class: 'num ok' }, r.done), el('td', { class: r.failed ? 'num bad' : 'num' }, r.failed),
    el('td', {}, r.by), el('td', { class: 'muted' }, fmtAgo(r.created)))), { id: 'rollouts' });
}

function commandsPage(commands) {
  return [el('h1', {}, 'Rollbacks and commands'), el('h2', {}, 'Rollouts'), rolloutTable(commands),
    el('h2', {}, 'Commands'), commandTable(commands)];
}

async function commandsView() {
  resetView('commands');
  const list = await api('ListCommands', { limit: 200 });
  ready(...commandsPage(list.commands || []));
  every(3000, async () => {
    const again = await api('ListCommands', { limit: 200 }).catch(() => null);
    if (again) main().replaceChildren(...commandsPage(again.commands || []));
    main().dataset.ready = '1';
  });
}

function stepsTable(c) {
  return table(['#', 'step', 'status', 'took', 'output'], (c.steps || []).map((s) => el('tr', {},
    el('td', { class: 'num' }, `${s.index}/${s.total}`), el('td', {}, s.name), el('td', {}, pill(s.status)),
    el('td', { class: 'num' }, `${fmt(Number(s.duration_ms) / 1000, 1)}s`), el('td', {}, el('pre', {}, s.output || '')))),
  { class: 'steps' });
}

async function commandView(id) {
  resetView('command');
  const c = await api('GetCommand', { id });
  const final = FINAL.includes(c.state);
  const undo = el('button', {
    id: 'undo', disabled: !canOperate() || !final || !!c.command.undo_of || c.command.dry_run,
    onclick: () => act(`Undo command ${id} on ${c.host_id}?`, 'UndoCommand', { command_id: id, reason: 'from the web console' },
      (r) => { location.hash = `#/command/${encodeURIComponent(r.command.id)}`; }),
  }, 'Undo…');
  ready(el('h1', {}, `Command ${id} `, pill(c.state)),
    el('div', { class: 'card' },
      el('p', {}, `${c.command.playbook || `undo of ${c.command.undo_of}`} on `, link(`#/host/${encodeURIComponent(c.host_id)}`, c.host_id),
        ` · requested by ${c.command.requested_by} · ${c.command.reason}`),
      c.error ? el('p', { class: 'bad' }, c.error) : null, undo),
    stepsTable(c));
  if (!final) every(1000, async () => {
    const now = await api('GetCommand', { id }).catch(() => null);
    if (now && (now.state !== c.state || JSON.stringify(now.steps) !== JSON.stringify(c.steps))) commandView(id);
  });
}

async function rolloutView(id) {
  resetView('rollout');
  const r = await api('GetRollout', { id });
  const ro = r.rollout;
  const total = (ro.host_ids || []).length;
  const finished = ro.state !== 'running' || Number(ro.finished_ms) > 0;
  ready(el('h1', {}, `Rollout ${id} `, pill(ro.state)),
    el('div', { class: 'summary' },
      el('div', {}, el('b', {}, total), 'hosts'),
      el('div', {}, el('b', { class: 'ok', id: 'rollout-succeeded' }, ro.succeeded), 'succeeded'),
      el('div', {}, el('b', { class: 'warn' }, ro.running), 'running'),
      el('div', {}, el('b', { class: ro.failed ? 'bad' : 'ok' }, ro.failed), 'failed')),
    el('p', {}, `playbook ${ro.playbook} · by ${ro.requested_by} · ${ro.reason}`, ro.dry_run ? ' · dry run' : '', ro.halt_reason ? ` · halted: ${ro.halt_reason}` : ''),
    commandTable(r.commands || []));
  if (!finished) every(1000, async () => {
    const now = await api('GetRollout', { id }).catch(() => null);
    if (now && JSON.stringify(now) !== JSON.stringify(r)) rolloutView(id);
  });
}

// ---- audit -----------------------------------------------------------------

async function auditView() {
  resetView('audit');
  const list = await api('ListAudit', { limit: 300 });
  ready(el('h1', {}, 'Audit'),
    table(['at', 'who', 'action', 'host', 'reason', 'outcome'], (list.records || []).map((a) => el('tr', {},
      el('td', { class: 'muted' }, fmtTime(a.at_ms)), el('td', {}, a.actor), el('td', {}, a.action),
      el('td', {}, a.host_id), el('td', {}, a.reason), el('td', {}, a.outcome))), { id: 'audit' }));
}

// ---- routing ---------------------------------------------------------------

const ROUTES = [
  [/^#\/host\/(.+)$/, hostView], [/^#\/alerts$/, alertsView], [/^#\/incidents$/, incidentsView],
  [/^#\/incident\/(.+)$/, incidentView], [/^#\/commands$/, commandsView], [/^#\/command\/(.+)$/, commandView],
  [/^#\/rollout\/(.+)$/, rolloutView], [/^#\/audit$/, auditView], [/^.*$/, fleetView],
];

async function route() {
  if (!S.session || !S.session.signed_in) return showSignIn();
  for (const [re, view] of ROUTES) {
    const m = location.hash.match(re);
    if (!m) continue;
    try {
      await view(...m.slice(1).map(decodeURIComponent));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) failed(e);
    }
    return;
  }
}

async function start() {
  $('sign-out').addEventListener('click', async () => {
    await post('/api/session/end', {}).catch(() => {});
    S.session = { signed_in: false, needs_token: S.session && S.session.needs_token };
    showSignIn();
  });
  window.addEventListener('hashchange', route);
  try {
    await loadSession();
  } catch (e) {
    ready(el('p', { class: 'bad' }, `cannot reach the collector: ${e.message}`));
    return;
  }
  showChrome();
  route();
}

start();

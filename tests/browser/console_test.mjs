// The web console in a real browser: Debian's chromium, headless, driven by
// puppeteer-core against a live collector that tests/e2e/console_test.cc
// started (TLS, tokens, a real agent, a simulated fleet).
//
//   node console_test.mjs CONFIG.json
//
// CONFIG: {url, chromium, operator_token, viewer_token, host, playbook,
//          fleet_size, screenshots}
// Prints one line per check ("ok: ..." or "FAIL: ..."), then
// "fleet_render_ms N" measurements, and exits 1 if any check failed.
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
fs.mkdirSync(cfg.screenshots, { recursive: true });
let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? 'ok' : 'FAIL'}: ${what}${!ok && detail !== undefined ? ` (${detail})` : ''}`);
  if (!ok) failures++;
  return ok;
}
const shot = (page, name) => page.screenshot({ path: path.join(cfg.screenshots, `${name}.png`), fullPage: true });
const readyView = (page, view, timeout = 15000) => page.waitForSelector(`body[data-view="${view}"] main[data-ready]`, { timeout });
const text = (page, sel) => page.$eval(sel, (e) => e.textContent.trim());

const browser = await puppeteer.launch({
  executablePath: cfg.chromium,
  headless: true,
  // The collector's certificate is from the test's own CA.
  acceptInsecureCerts: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});

async function signedIn(token) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  page.on('pageerror', (e) => check(false, 'no script error on the page', e.message));
  await page.goto(cfg.url, { waitUntil: 'load' });
  await page.waitForSelector('#token');
  await page.type('#token', token);
  await page.click('#signin');
  await readyView(page, 'fleet', 30000);
  return { ctx, page };
}

// A POST from inside the signed-in page, as its own script would make it.
function pagePost(page, pathname, body, csrf = true) {
  return page.evaluate(async (p, b, withCsrf) => {
    const s = await (await fetch('/api/session')).json();
    const headers = { 'Content-Type': 'application/json' };
    if (withCsrf) headers['X-Rollguard-Csrf'] = s.csrf;
    const r = await fetch(p, { method: 'POST', headers, body: JSON.stringify(b) });
    return { status: r.status, body: await r.json() };
  }, pathname, body, csrf);
}

try {
  // ---- a wrong token is refused; nothing is shown without signing in -----
  {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(cfg.url, { waitUntil: 'load' });
    await page.waitForSelector('#token');
    await page.type('#token', 'not-a-token');
    await page.click('#signin');
    await page.waitForFunction(() => document.querySelector('#signin-error').textContent.length > 0);
    check((await text(page, '#signin-error')).includes('not known'), 'a wrong token is refused with a reason',
      await text(page, '#signin-error'));
    const r = await page.evaluate(async () => (await fetch('/api/v1/ListHosts', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
    check(r === 401, 'the API answers 401 without a session', r);
    await ctx.close();
  }

  // ---- viewer: sees everything, may act on nothing --------------------------
  const viewer = await signedIn(cfg.viewer_token);
  {
    const { page } = viewer;
    check(await text(page, '#who') === `token:viewer (viewer)`, 'the header names the viewer', await text(page, '#who'));
    const total = Number(await text(page, '#hosts-total'));
    check(total === cfg.fleet_size, `the fleet page lists all ${cfg.fleet_size} hosts`, total);
    const rows = await page.$$eval('#fleet-table tbody tr', (r) => r.length);
    check(rows === cfg.fleet_size, 'one row per host', rows);
    check(await page.$(`#fleet-table tr[data-host="${cfg.host}"]`) !== null, `the real host ${cfg.host} is listed`);
    const cookie = (await page.cookies()).find((c) => c.name === '__Host-rg_session');
    check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.secure,
      'the session cookie is __Host-, HttpOnly, SameSite=Strict and Secure', JSON.stringify(cookie));
    check(await page.evaluate(() => document.cookie.includes('rg_session')) === false,
      'the page script cannot read the session cookie');

    // The fleet page's time to render: in the browser, from the start of the
    // navigation to its address (coming from another page) to the table
    // drawn with every sparkline (performance.now() at that moment; the
    // harness's own round trips are not counted, but are printed).
    const times = [];
    const walls = [];
    for (let i = 0; i < 5; ++i) {
      await page.goto('about:blank');
      const t0 = Date.now();
      await page.goto(`${cfg.url}/#/fleet`, { waitUntil: 'domcontentloaded' });
      await readyView(page, 'fleet', 30000);
      walls.push(Date.now() - t0);
      const t = await page.evaluate(() => window.rgFleetTimings);
      const dom = await page.evaluate(() =>
        Math.round(performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd));
      times.push(Math.round(t.ready_ms));
      console.log(`fleet_timings ready_ms ${Math.round(t.ready_ms)} dom_ms ${dom} api_ms ${Math.round(t.api_ms)} draw_ms ${Math.round(t.total_ms - t.api_ms)} harness_wall_ms ${walls[i]}`);
    }
    times.sort((a, b) => a - b);
    const median = times[2];
    console.log(`fleet_render_ms ${times.join(' ')} (median ${median}, hosts ${cfg.fleet_size})`);
    check(median < 1000, `the fleet page of ${cfg.fleet_size} hosts renders in under 1 s`, `${median} ms`);
    await shot(page, 'fleet');

    await page.goto(`${cfg.url}/#/host/${cfg.host}`);
    await readyView(page, 'host');
    await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length > 0 &&
      [...document.querySelectorAll('.chart')].some((c) => Number(c.dataset.points) > 0));
    const metrics = await page.$$eval('.chart', (cs) => cs.map((c) => `${c.dataset.metric}:${c.dataset.points}`));
    check(metrics.some((m) => m.startsWith('memory_usage:') && Number(m.split(':')[1]) > 0),
      'the host page charts the host\'s memory_usage history', metrics.join(' '));
    check(await page.$eval('#run-playbook', (b) => b.disabled), 'a viewer\'s rollback button is disabled');
    await shot(page, 'host-viewer');

    // A viewer who goes around the page is refused by the collector itself.
    const r = await pagePost(page, '/api/v1/StartRollout', { playbook: cfg.playbook, host_ids: [cfg.host] });
    check(r.status === 403 && /operator role/.test(r.body.error), 'a viewer\'s rollback is refused (403, names the role)',
      JSON.stringify(r));
    const s = await pagePost(page, '/api/v1/AddSilence', { matchers: { host: cfg.host }, duration_ms: '60000' });
    check(s.status === 403, 'a viewer\'s silence is refused', JSON.stringify(s));

    await page.goto(`${cfg.url}/#/incidents`);
    await readyView(page, 'incidents');
    await page.waitForSelector('#incidents tbody tr');
    check(await page.$$eval('#incidents tbody tr', (r) => r.length) >= 1, 'the incidents page lists the open incident');
    await shot(page, 'incidents');
  }

  // ---- operator: actions work -----------------------------------------------
  const operator = await signedIn(cfg.operator_token);
  {
    const { page } = operator;
    // Without the CSRF header even the operator's own session cannot act.
    const noCsrf = await pagePost(page, '/api/v1/StartRollout', { playbook: cfg.playbook, host_ids: [cfg.host] }, false);
    check(noCsrf.status === 403 && /X-Rollguard-Csrf/.test(noCsrf.body.error), 'a POST without the CSRF token is refused',
      JSON.stringify(noCsrf));

    await page.goto(`${cfg.url}/#/host/${cfg.host}`);
    await readyView(page, 'host');
    await page.select('#playbook', cfg.playbook);
    await page.type('#reason', 'browser test');
    await page.click('#run-playbook');
    await page.waitForSelector('#confirm:not([hidden])');
    check((await text(page, '#confirm-text')).includes(cfg.host), 'the rollback asks for confirmation, naming the host');
    await shot(page, 'confirm');
    await page.click('#confirm-yes');
    await page.waitForFunction(() => location.hash.startsWith('#/rollout/'), { timeout: 10000 });
    await readyView(page, 'rollout');
    // Live progress: the page updates itself until the host has succeeded.
    await page.waitForFunction(() => document.querySelector('#rollout-succeeded')?.textContent === '1', { timeout: 30000 });
    check(true, 'the operator\'s rollback ran to success, shown live');
    const progress = await text(page, '.commands tbody tr .steps-progress');
    check(/^2\/2/.test(progress), 'per-step progress shows every step done', progress);
    await shot(page, 'rollout');
    const rolloutId = decodeURIComponent(await page.evaluate(() => location.hash.slice('#/rollout/'.length)));

    await page.goto(`${cfg.url}/#/commands`);
    await readyView(page, 'commands');
    check(await page.$(`#rollouts tr[data-rollout="${rolloutId}"]`) !== null,
      'the rollbacks page lists the rollout among the recent ones', rolloutId);
    await shot(page, 'commands');

    await page.goto(`${cfg.url}/#/incidents`);
    await readyView(page, 'incidents');
    await page.click('#incidents tbody tr a');
    await readyView(page, 'incident');
    check((await page.$$eval('#timeline tbody tr', (r) => r.length)) >= 1, 'the incident page shows its timeline');
    check(await page.$('.chart[data-metric]') !== null, 'the incident page charts its evidence');
    await page.click('#ack');
    await page.waitForSelector('#confirm:not([hidden])');
    await page.click('#confirm-yes');
    await page.waitForFunction(() => document.body.textContent.includes('acknowledged by token:operator'), { timeout: 10000 });
    check(true, 'the operator acknowledged the incident');
    await shot(page, 'incident');

    await page.goto(`${cfg.url}/#/alerts`);
    await readyView(page, 'alerts');
    await page.type('#silence-host', cfg.host);
    await page.type('#silence-comment', 'browser test');
    await page.click('#add-silence');
    await page.waitForSelector('#confirm:not([hidden])');
    await page.click('#confirm-yes');
    await page.waitForFunction(() => [...document.querySelectorAll('#silences tbody td')].some((t) => t.textContent === 'token:operator'),
      { timeout: 10000 });
    check(true, 'the operator added a silence, shown with its author');
    await shot(page, 'alerts');

    await page.goto(`${cfg.url}/#/audit`);
    await readyView(page, 'audit');
    const audit = await text(page, '#audit');
    check(audit.includes('token:viewer') && audit.includes('denied'), 'the audit names the viewer\'s refused rollback');
    check(audit.includes('token:operator'), 'the audit names the operator');
    await shot(page, 'audit');
  }
} catch (e) {
  check(false, 'the run finished', e.stack);
} finally {
  await browser.close();
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);

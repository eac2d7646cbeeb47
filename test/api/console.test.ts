/**
 * The NOC console in headless Chromium (Debian's chromium driven by playwright-core) against a
 * running lab switch with API tokens, with a real SIPp call through it: sign-in (no token and a
 * wrong token leave the sign-in form, the API answers 401), the circuit view showing the call's
 * busy circuit, blocking and unblocking a circuit from the page (checked through the API), and
 * the call's ladder listing its SIP, ISUP and MGCP messages. Screenshots go to test/artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { RunningSwitch } from '../../src/app/start.js';
import { createToken, hashToken } from '../../src/api/tokens.js';
import { hasOsmoMgw } from '../helpers/osmo-mgw.js';
import { hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../artifacts');
const OPERATOR = createToken();
const ADMIN = createToken();

interface Circuit {
  cic: number;
  call: string;
  localBlocked: boolean;
  callRef?: string;
}

describe.skipIf(!existsSync(CHROMIUM) || !hasSipp())('NOC console in headless Chromium', () => {
  let ssw: RunningSwitch;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let base = '';
  let tg = '';
  let sipp: Promise<SippResult> | undefined;

  const apiGet = async (path: string, token: string | null = OPERATOR) => {
    const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as any };
  };
  const circuit = async (cic: number): Promise<Circuit> => (await apiGet(`/api/v1/isup/trunk-groups/${tg}/circuits?cic=${cic}`)).body[0];

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ api: { port: 0, tokens: [{ name: 'noc-operator', role: 'operator', hash: hashToken(OPERATOR) }, { name: 'noc-admin', role: 'admin', hash: hashToken(ADMIN) }] } }));
    base = `http://127.0.0.1:${ssw.apiPort}`;
    tg = ssw.isup.trunkGroups[0].id;
    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'ssw-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (d) => void d.accept());
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await sipp;
    await ssw?.stop();
  });

  it('without a token, shows the sign-in form; the API answers 401', async () => {
    await page.goto(`${base}/console/`);
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#nav').isHidden()).toBe(true);
    for (const path of ['/api/v1/ss7', '/api/v1/isup/trunk-groups', '/api/v1/calls', '/api/v1/call-trails']) {
      expect((await apiGet(path, null)).status, path).toBe(401);
      expect((await apiGet(path, createToken())).status, path).toBe(401);
    }
    const res = await page.request.get(`${base}/console/app.js`);
    expect(res.headers()['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
    // Only the listed files are served: nothing else under /console, whatever the path says.
    for (const path of ['/console/../server.ts', '/console/%2e%2e%2fserver.ts', '/console/..%2froutes-console.ts', '/console/tokens.ts', '/console/index.html%00.js']) {
      const r = await page.request.get(`${base}${path}`);
      expect(r.status(), path).not.toBe(200);
      expect(await r.text(), path).not.toMatch(/import |export /);
    }
  });

  it('with a wrong token, stays on the sign-in form and says the token was refused', async () => {
    await page.fill('#token', createToken());
    await page.click('#login-form button[type=submit]');
    await expect.poll(() => page.textContent('#login-error'), { timeout: 10_000 }).toMatch(/refused \(401\)/);
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('softswitch.apiToken'))).toBeNull();
  });

  it('signs in with the token and shows the circuit of a live call as busy', async () => {
    await page.fill('#token', OPERATOR);
    await page.click('#login-form button[type=submit]');
    await page.locator('#view-circuits').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.getItem('softswitch.apiToken'))).toBe(OPERATOR);
    await page.locator('#circuit-grid .cic').first().waitFor();
    // A call held for a while, so its circuit is busy while the page is looked at.
    sipp = runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 60, args: ['-s', '12125550150', '-m', '1', '-d', '8000'] });
    await page.locator('#circuit-grid .cic.busy-out').waitFor({ timeout: 20_000 });
    const busyCic = Number(await page.locator('#circuit-grid .cic.busy-out').first().getAttribute('data-cic'));
    expect((await circuit(busyCic)).call).toBe('outgoing');
    await page.click(`#circuit-grid .cic[data-cic="${busyCic}"]`);
    await page.locator('#act-ladder').waitFor({ state: 'visible' });
    const shot = join(ARTIFACTS, 'console-circuits.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot of the circuit view: ${shot}`);
  });

  it('blocks and then unblocks an idle circuit from the page', async () => {
    const idle = Number(await page.locator('#circuit-grid .cic.idle').last().getAttribute('data-cic'));
    expect((await circuit(idle)).localBlocked).toBe(false);
    await page.click(`#circuit-grid .cic[data-cic="${idle}"]`);
    await page.click('#act-block');
    await expect.poll(async () => (await circuit(idle)).localBlocked, { timeout: 15_000 }).toBe(true);
    await page.locator(`#circuit-grid .cic[data-cic="${idle}"].blocked-local`).waitFor({ timeout: 10_000 });
    await page.click('#act-unblock');
    await expect.poll(async () => (await circuit(idle)).localBlocked, { timeout: 15_000 }).toBe(false);
    await page.locator(`#circuit-grid .cic[data-cic="${idle}"].idle`).waitFor({ timeout: 10_000 });
    // Both changes are in the audit log, under the token's name (the log itself needs admin).
    expect((await apiGet('/api/v1/audit')).status).toBe(403);
    const { entries } = (await apiGet('/api/v1/audit', ADMIN)).body as { entries: Array<{ actor: string; route: string; params?: { cic?: number | string } }> };
    const mine = entries.filter((e) => e.actor === 'noc-operator' && String(e.params?.cic) === String(idle)).map((e) => e.route.split('/').pop());
    expect(mine).toEqual(['block', 'unblock']);
  });

  it("opens the call's ladder: SIP, ISUP and MGCP messages in one diagram", async () => {
    const r = await sipp!;
    expect(r.stats.successful, r.stdout.slice(-1500)).toBe(1);
    await until(() => ssw.calls.activeCount === 0, 'the call to end', 15_000);
    await page.click('nav button[data-view=calls]');
    await page.locator('#trails-table .open-ladder').first().waitFor();
    await page.locator('#trails-table .open-ladder').first().click();
    await page.locator('#ladder svg .msg').first().waitFor();
    const labels = await page.locator('#ladder svg .msg').evaluateAll((els) => els.map((e) => e.getAttribute('data-label') ?? ''));
    const want = ['INVITE', '100 Trying', 'IAM', 'ACM', 'ANM', '200 OK (INVITE)', 'ACK', 'BYE', 'REL', 'RLC', ...(hasOsmoMgw() ? ['CRCX', '200 (CRCX)', 'DLCX'] : [])];
    for (const w of want) expect(labels.some((l) => l.startsWith(w)), `${w} in ${labels.join(', ')}`).toBe(true);
    await page.locator('#ladder svg .msg[data-label="INVITE"]').click();
    await expect.poll(() => page.textContent('#ladder-message')).toMatch(/INVITE sip:12125550150@/);
    const shot = join(ARTIFACTS, 'console-ladder.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot of the call ladder: ${shot}`);
  });

  it('lists a live call and tears it down from the page (audited as a change by the operator)', async () => {
    const held = runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 60, args: ['-s', '12125550150', '-m', '1', '-d', '30000'] });
    await page.click('nav button[data-view=calls]');
    await page.locator('#calls-table .release-call').first().waitFor({ timeout: 20_000 });
    const id = await page.locator('#calls-table .release-call').first().getAttribute('data-call');
    await page.locator('#calls-table .release-call').first().click();
    await until(() => ssw.calls.activeCount === 0, 'the released call to end', 15_000);
    const cdr = (await ssw.cdrs.list({ limit: 10 })).find((c) => c.callId === id);
    expect(cdr?.releasedBy).toBe('switch');
    const { entries } = (await apiGet('/api/v1/audit', ADMIN)).body as { entries: Array<{ actor: string; route: string; status: number; params?: { id?: string } }> };
    expect(entries.find((e) => e.route === '/api/v1/calls/:id/release' && e.params?.id === id)).toMatchObject({ actor: 'noc-operator', status: 202 });
    // SIPp's uac did not expect the switch's BYE: its scenario fails, which is what a torn-down call looks like to it.
    const r = await held;
    expect(r.stats.successful).toBe(0);
  });
});

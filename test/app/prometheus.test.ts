/**
 * Prometheus as the real consumer of the metrics: `promtool check rules` on docker/alerts.yml, and
 * Debian's prometheus scraping a running lab switch (SS7 link up, circuits, calls) — the series the
 * alert rules use exist with the values the switch's state says.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { isupMetrics } from '../../src/ss7/isup/metrics.js';


/** The value of one series in Prometheus text, or undefined when the switch does not export it. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[a-z_:0-9]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const got = Object.fromEntries([...(m[1] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[2]);
  }
  return undefined;
}

const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error === undefined;
const missing = has('promtool') && has('prometheus') ? '' : 'prometheus/promtool not installed (apt-get install prometheus)';
if (missing) console.warn(`skipping Prometheus tests: ${missing}`);

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe.skipIf(missing !== '')('Prometheus against the switch', () => {
  let ssw: RunningSwitch;
  let prom: ChildProcess | undefined;
  let promPort = 0;

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] } }));
    const dir = mkdtempSync(join(tmpdir(), 'ssw-prom-'));
    promPort = await freeTcpPort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ['${new URL('../../docker/alerts.yml', import.meta.url).pathname}']\nscrape_configs:\n  - job_name: softswitch\n    static_configs: [{ targets: ['127.0.0.1:${ssw.apiPort}'] }]\n`,
    );
    prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });
  }, 30_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    await ssw?.stop();
  });

  const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
    try {
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      return body.data?.result ?? [];
    } catch {
      return [];
    }
  };

  it('promtool accepts the alert rules shipped in docker/', () => {
    const r = spawnSync('promtool', ['check', 'rules', new URL('../../docker/alerts.yml', import.meta.url).pathname], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 7 rules found/);
  });

  it('scrapes the switch: the SG association is active and every circuit of tg-ilec is idle', async () => {
    let up: Awaited<ReturnType<typeof query>> = [];
    for (let i = 0; i < 150 && up.length === 0; i++) {
      up = await query('softswitch_m3ua_asp_active == 1');
      if (up.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(up.map((r) => r.metric.sg)).toEqual(['lab-tandem']);
    const idle = await query('softswitch_isup_circuits{trunk_group="tg-ilec",state="idle"}');
    expect(idle[0]?.value[1]).toBe('24');
    const rules = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> } };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded).toHaveLength(7);
    expect(loaded.every((r) => r.health !== 'err')).toBe(true);
  }, 40_000);

  it.skipIf(!hasSipp())('after a real call: promtool accepts /metrics, ASR/ACD inputs and SIP classes count, the tandem counts apart', async () => {
    const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 20, args: ['-s', '12125550150', '-m', '1'] });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    await until(async () => (await ssw.cdrs.list()).length === 1, 'the CDR of the call', 10_000);
    const res = await fetch(`http://127.0.0.1:${ssw.apiPort}/metrics`);
    const text = await res.text();

    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);

    const tg = { direction: 'sip-to-isup', trunk_group: 'tg-ilec' };
    expect(sample(text, 'softswitch_call_attempts_total', tg)).toBe(1);
    expect(sample(text, 'softswitch_call_answers_total', tg)).toBe(1);
    expect(sample(text, 'softswitch_call_answered_seconds_total', tg)).toBeGreaterThan(0);
    expect(sample(text, 'softswitch_calls_active', { direction: 'sip-to-isup' })).toBe(0);
    expect(sample(text, 'softswitch_sip_responses_total', { class: '2xx', direction: 'sent' })).toBeGreaterThanOrEqual(2); // 200 to INVITE and BYE
    expect(sample(text, 'softswitch_sip_responses_total', { class: '1xx', direction: 'sent' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'softswitch_m3ua_asp_state', { sg: 'lab-tandem', state: 'asp_active' })).toBe(1);
    expect(sample(text, 'softswitch_m3ua_asp_state', { sg: 'lab-tandem', state: 'asp_down' })).toBe(0);
    expect(sample(text, 'softswitch_lcr_lookups_total', { outcome: 'routed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'softswitch_lcr_reload_seconds_count')).toBe(1); // the table built from the decks at start
    expect(sample(text, 'softswitch_event_loop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'softswitch_sctp_messages_sent_total')).toBeGreaterThan(0);
    expect(sample(text, 'softswitch_process_cpu_seconds_total')).toBeGreaterThan(0);

    // The switch sent the IAM; the tandem received it: each count is in its own registry only.
    const iam = { trunk_group: 'tg-ilec', type: 'IAM' };
    expect(sample(text, 'softswitch_isup_messages_total', { ...iam, direction: 'tx' })).toBe(1);
    expect(sample(text, 'softswitch_isup_messages_total', { ...iam, direction: 'rx' })).toBeUndefined();
    const tandem = (await isupMetrics(ssw.tandem!.registry).isupMessagesTotal.get()).values;
    expect(tandem.find((v) => v.labels.type === 'IAM' && v.labels.direction === 'rx')?.value).toBe(1);
    expect(tandem.find((v) => v.labels.type === 'IAM' && v.labels.direction === 'tx')).toBeUndefined();
    expect(await ssw.tandem!.registry.getSingleMetric('softswitch_process_cpu_seconds_total')).toBeUndefined();
  }, 60_000);

  it('sees the link go down when the SG association is lost (the alert expression turns true)', async () => {
    await ssw.tandem!.stop();
    let down: Awaited<ReturnType<typeof query>> = [];
    for (let i = 0; i < 100 && down.length === 0; i++) {
      down = await query('max(softswitch_m3ua_asp_active) == 0');
      if (down.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(down).toHaveLength(1);
  }, 30_000);
});

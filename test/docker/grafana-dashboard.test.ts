/**
 * docker/grafana/softswitch-dashboard.json against the switch it is meant for: the JSON is a
 * well-formed Grafana dashboard (unique panel ids, panels inside the 24-column grid, a Prometheus
 * datasource on every query), and every softswitch_ series a query names is in the /metrics output
 * of a running lab switch after a real SIPp call, with at least one sample (labelled series exist).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string; datasource?: { type: string } }>;
}

const dashboard = JSON.parse(readFileSync(new URL('../../docker/grafana/softswitch-dashboard.json', import.meta.url), 'utf8')) as { title: string; uid: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string }> } };
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Metric names a PromQL expression uses (label values and functions are not softswitch_ names). */
function metricsOf(expr: string): string[] {
  return [...new Set(expr.match(/\bsoftswitch_[a-z0-9_]+/g) ?? [])];
}

describe('Grafana dashboard', () => {
  it('is a Grafana dashboard: unique ids, panels on the grid, every query on the Prometheus datasource', () => {
    expect(dashboard.uid).toBe('softswitch-overview');
    expect(dashboard.templating.list.some((v) => v.type === 'datasource' && v.name === 'datasource')).toBe(true);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource?.type, p.title).toBe('prometheus');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(metricsOf(t.expr).length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
    }
    // What the dashboard is for: each of these areas has a panel.
    const all = queries.map((q) => q.expr).join('\n');
    for (const m of ['softswitch_calls_total', 'softswitch_calls_active', 'softswitch_call_release_cause_total', 'softswitch_isup_circuits', 'softswitch_m3ua_asp_active', 'softswitch_sctp_aborts_total', 'softswitch_mgcp_transactions_total', 'softswitch_sip_messages_received_total', 'softswitch_lcr_lookups_total', 'softswitch_event_loop_lag_seconds']) {
      expect(all, m).toContain(m);
    }
  });

  describe.skipIf(!hasSipp())('against a running lab switch after a call', () => {
    let ssw: RunningSwitch;
    let exposition = '';

    beforeAll(async () => {
      ({ ssw } = await startLabSwitch());
      const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 30, args: ['-s', '12125550150', '-m', '1', '-d', '200'] });
      expect(r.stats.successful, r.stdout.slice(-1500)).toBe(1);
      await until(() => ssw.calls.activeCount === 0, 'the call to end', 15_000);
      const res = await ssw.api.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      exposition = res.body;
    }, 90_000);

    afterAll(async () => {
      await ssw?.stop();
    });

    it('every softswitch_ series the dashboard queries has samples in /metrics', () => {
      const sampled = new Set(
        exposition
          .split('\n')
          .filter((l) => l.startsWith('softswitch_'))
          .map((l) => l.split(/[{ ]/)[0]),
      );
      const missing: string[] = [];
      for (const q of queries) for (const m of metricsOf(q.expr)) if (!sampled.has(m)) missing.push(`${m} (panel "${q.panel}")`);
      expect(missing).toEqual([]);
    });
  });
});

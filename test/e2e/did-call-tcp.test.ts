/**
 * DID calls from the PSTN (tandem IAM) to a trunk customer's PBX over SIP/TCP, through the whole
 * lab switch: a target configured for UDP gets the INVITE over TCP because it is too large for a
 * datagram (RFC 3261 §18.1.1; `sip.udpMaxRequestBytes` is lowered to 200 to stand in for a small
 * path MTU, since the switch's own INVITE is some 800 bytes), and a target configured for TCP gets
 * it over TCP by its URI. SIPp plays the PBX listening on TCP only (`-t t1`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { freeUdpPort, hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping DID-over-TCP tests: ${missing}`);

async function metric(ssw: RunningSwitch, name: string, labels: Record<string, string>): Promise<number> {
  const m = ssw.registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

describe.skipIf(missing !== '')('DID calls to a PBX over SIP/TCP (ISUP → SIP)', () => {
  let ssw: RunningSwitch;
  const ports = { udpTarget: 0, tcpTarget: 0 };
  const sipp: Record<string, SippResult> = {};

  beforeAll(async () => {
    ports.udpTarget = await freeUdpPort();
    ports.tcpTarget = await freeUdpPort();
    ({ ssw } = await startLabSwitch({
      sip: { port: 0, udpMaxRequestBytes: 200 },
      didHealth: { probeIntervalMs: 0 },
      trunkCustomers: [
        {
          id: 'pbx-co',
          sources: ['127.0.0.1/32'],
          dids: [
            { number: '2125550100', targets: [{ host: '127.0.0.1', port: ports.udpTarget, transport: 'udp' }] },
            { number: '2125550110', targets: [{ host: '127.0.0.1', port: ports.tcpTarget, transport: 'tcp' }] },
          ],
        },
      ],
      lab: { startOsmoMgw: true },
    }));
    const call = async (name: string, body: Record<string, unknown>, file: string, port: number) => {
      const run = runSipp({ scenario: scenario(file), localPort: port, timeoutS: 20, args: ['-t', 't1', '-m', '1'] });
      await new Promise((r) => setTimeout(r, 500)); // SIPp binds its port
      const res = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/originate', payload: { calling: '3125550199', ...body } });
      expect(res.statusCode, res.body).toBe(201);
      sipp[name] = await run;
      await until(() => ssw.calls.activeCount === 0, `${name}: the call to end`, 15_000);
    };
    await call('too-big-for-udp', { called: '2125550100', holdMs: 600 }, 'pbx-answer.xml', ports.udpTarget);
    await call('tcp-target', { called: '2125550110' }, 'pbx-bye.xml', ports.tcpTarget);
  }, 120_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  it('a target configured for UDP gets the too-large INVITE over TCP: answered, then released by the network with BYE over the connection', async () => {
    const r = sipp['too-big-for-udp'];
    expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-500)).toBe(0);
    const cdr = (await ssw.cdrs.list()).find((c) => c.called === '2125550100');
    expect(cdr).toMatchObject({ direction: 'isup-to-sip', sipStatus: 200 });
  });

  it('a target configured for TCP (;transport=tcp) gets its call over TCP; the PBX hangs up with BYE', async () => {
    const r = sipp['tcp-target'];
    expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-500)).toBe(0);
    const cdr = (await ssw.cdrs.list()).find((c) => c.called === '2125550110');
    expect(cdr).toMatchObject({ direction: 'isup-to-sip', sipStatus: 200, releasedBy: 'callee' });
  });

  it('opened one outbound TCP connection per PBX', async () => {
    expect(await metric(ssw, 'softswitch_sip_connections_total', { transport: 'tcp', direction: 'outbound' })).toBe(2);
  });
});

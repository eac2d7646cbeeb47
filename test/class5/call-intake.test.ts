/**
 * Terminating features executed by the call engine, in virtual time with in-memory SIP: no answer
 * within the extension's timer moves the call to voicemail with History-Info cause=408 and
 * Diversion no-answer; busy on the first of two forked contacts does not end the fork.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { CallManager } from '../../src/calls/manager.js';
import { SipInboundLeg } from '../../src/calls/legs/sip-inbound-leg.js';
import { class5ConfigSchema } from '../../src/class5/config.js';
import { Class5CallIntake } from '../../src/class5/call-intake.js';
import { Registrar } from '../../src/class5/registrar.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import type { RegistrarService } from '../../src/class5/registrar-service.js';
import type { CallRouter } from '../../src/class4/routing/route-plan.js';
import type { IsupLegDeps } from '../../src/calls/legs/isup-deps.js';
import { FakeInvite, FakeSip, settle } from '../calls/fakes.js';

function setup() {
  const clock = new VirtualClock();
  const cfg = class5ConfigSchema.parse({
    tenants: [
      {
        id: 'acme',
        domain: 'acme.example',
        voicemail: 'sip:vm@192.0.2.99:5080',
        extensions: [
          { number: '1001', password: 'x' },
          { number: '1003', password: 'x', features: { voicemail: true, noAnswerS: 10 } },
        ],
      },
    ],
  });
  const tenants = new TenantDirectory(cfg);
  const registrar = new Registrar({ clock, minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 3600, maxContactsPerAor: 5 });
  const sip = new FakeSip();
  const cdrs: unknown[] = [];
  const calls = new CallManager({ clock, logger: silentLogger, writeCdr: (c) => void cdrs.push(c) });
  const intake = new Class5CallIntake({
    sip,
    calls,
    tenants,
    registrar,
    service: {} as RegistrarService,
    router: {} as CallRouter,
    isupLegs: {} as IsupLegDeps,
    clock,
    logger: silentLogger,
    mediaAddress: '127.0.0.1',
    noResponseMs: 4000,
    answerTimeoutMs: 120_000,
    starCodes: cfg.starCodes,
    emergency: cfg.emergency,
  });
  const bind = (contact: string, callId: string) =>
    registrar.apply('acme', 'sip:1003@acme.example', { contacts: [`<${contact}>`], callId, cseq: 1, path: [], supportedPath: false, source: { address: '192.0.2.5', port: 5060 } });
  const start = () => {
    const tenant = tenants.byId('acme')!;
    const party = { called: '1003', calling: '1001' };
    const plan = intake.extensionPlan(tenant, tenant.extensions.get('1003')!, party, 'sip-to-sip', { hops: 0, fromUri: 'sip:1001@acme.example' });
    const inv = new FakeInvite();
    calls.start(new SipInboundLeg({ sip, logger: silentLogger, mediaAddress: '127.0.0.1' }, inv, inv, party), plan, 'c5-test');
    return inv;
  };
  return { clock, sip, bind, start, cdrs };
}

describe('Class 5 terminating features on the engine (virtual time)', () => {
  it('no answer within noAnswerS → voicemail with History-Info cause=408 and Diversion no-answer', async () => {
    const { clock, sip, bind, start } = setup();
    bind('sip:1003@192.0.2.5:5060', 'r1');
    const inv = start();
    await settle();
    expect(sip.uacs.map((u) => u.uri)).toEqual(['sip:1003@192.0.2.5:5060']);
    sip.uacs[0].ring();
    await settle();
    clock.advance(9_999);
    await settle();
    expect(sip.uacs).toHaveLength(1);
    clock.advance(1);
    await settle();
    await settle();
    expect(sip.uacs[0].canceled).toBe(true);
    expect(sip.uacs.map((u) => u.uri)).toEqual(['sip:1003@192.0.2.5:5060', 'sip:vm@192.0.2.99:5080']);
    expect(sip.uacs[1].header['History-Info']).toMatch(/^<sip:1003@acme\.example\?Reason=SIP%3Bcause%3D408[^>]*>;index=1, <sip:vm@192\.0\.2\.99:5080;cause=408>;index=1\.1;mp=1$/);
    expect(sip.uacs[1].header.Diversion).toBe('<sip:1003@acme.example>;reason=no-answer;counter=1');
    sip.uacs[1].answer();
    await settle();
    await settle();
    expect(inv.responses).toContain(200);
  });

  it('two contacts ring in parallel; one busy, the other answers: no forwarding', async () => {
    const { sip, bind, start } = setup();
    bind('sip:1003@192.0.2.5:5060', 'r1');
    bind('sip:1003@192.0.2.6:5060', 'r2');
    const inv = start();
    await settle();
    expect(sip.uacs.map((u) => u.uri).sort()).toEqual(['sip:1003@192.0.2.5:5060', 'sip:1003@192.0.2.6:5060']);
    sip.uacs[0].fail(486);
    await settle();
    sip.uacs[1].answer();
    await settle();
    await settle();
    expect(sip.uacs).toHaveLength(2);
    expect(inv.responses).toContain(200);
  });

  it('not registered → voicemail at once with cause=480 (unavailable)', async () => {
    const { sip, start } = setup();
    start();
    await settle();
    expect(sip.uacs.map((u) => u.uri)).toEqual(['sip:vm@192.0.2.99:5080']);
    expect(sip.uacs[0].header.Diversion).toBe('<sip:1003@acme.example>;reason=unavailable;counter=1');
  });
});

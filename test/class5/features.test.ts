/** Feature decisions and the dial plan as pure functions (no time, no I/O). */
import { describe, expect, it } from 'vitest';
import { class5ConfigSchema } from '../../src/class5/config.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { MAX_FORWARD_HOPS, terminatingDecision } from '../../src/class5/features/forwarding.js';
import { forwardHops, forwardingHeaders } from '../../src/class5/features/history.js';
import { dial, reachOf } from '../../src/class5/dial-plan.js';

const cfg = class5ConfigSchema.parse({
  tenants: [
    {
      id: 'acme',
      domain: 'acme.example',
      voicemail: 'sip:vm@192.0.2.99:5080',
      extensions: [
        { number: '1001', password: 'x', cos: 'national' },
        { number: '1002', password: 'x', features: { cfb: '1003', cfna: '1003', noAnswerS: 15 } },
        { number: '1003', password: 'x', features: { voicemail: true } },
        { number: '1004', password: 'x', features: { cfu: '2125550123', voicemail: true } },
        { number: '1005', password: 'x', features: { dnd: true, voicemail: true } },
        { number: '1006', password: 'x', features: { dnd: true } },
        { number: '1007', password: 'x', cos: 'blocked' },
        { number: '1008', password: 'x', cos: 'international' },
        { number: '1009', password: 'x', cos: 'local' },
      ],
      dids: [{ did: '2125550100', extension: '1001' }],
      huntGroups: [{ number: '500', strategy: 'circular', members: ['1001', '1002'] }],
    },
    { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'y' }] },
  ],
});
const dir = new TenantDirectory(cfg);
const acme = dir.byId('acme')!;
const ext = (n: string) => acme.extensions.get(n)!;

describe('terminatingDecision', () => {
  it('plain extension: ring contacts, nothing after', () => {
    expect(terminatingDecision(ext('1001'), acme.config, { registered: true, hops: 0 })).toEqual({ ringContacts: true, onBusy: undefined, onNoAnswer: undefined, noAnswerMs: undefined });
  });
  it('not registered and no forwarding: 480 cause 20', () => {
    expect(terminatingDecision(ext('1001'), acme.config, { registered: false, hops: 0 })).toMatchObject({ ringContacts: false, refuse: { status: 480, cause: 20 } });
  });
  it('CF busy / no answer (timer) to another extension', () => {
    const d = terminatingDecision(ext('1002'), acme.config, { registered: true, hops: 0 });
    expect(d.onBusy).toEqual({ target: '1003', reason: 'user-busy', cause: 486, voicemail: false });
    expect(d.onNoAnswer).toEqual({ target: '1003', reason: 'no-answer', cause: 408, voicemail: false });
    expect(d.noAnswerMs).toBe(15_000);
  });
  it('voicemail on busy, no answer and unreachable with causes 486/408/480', () => {
    const d = terminatingDecision(ext('1003'), acme.config, { registered: true, hops: 0 });
    expect(d.onBusy).toMatchObject({ target: 'sip:vm@192.0.2.99:5080', cause: 486, voicemail: true });
    expect(d.onNoAnswer).toMatchObject({ cause: 408, voicemail: true });
    expect(terminatingDecision(ext('1003'), acme.config, { registered: false, hops: 0 }).immediate).toMatchObject({ cause: 480, reason: 'unavailable', voicemail: true });
  });
  it('CFU wins over everything; DND → voicemail, or 486 without it', () => {
    expect(terminatingDecision(ext('1004'), acme.config, { registered: true, hops: 0 })).toMatchObject({ ringContacts: false, immediate: { target: '2125550123', reason: 'unconditional', cause: 302 } });
    expect(terminatingDecision(ext('1005'), acme.config, { registered: true, hops: 0 }).immediate).toMatchObject({ reason: 'do-not-disturb', voicemail: true });
    expect(terminatingDecision(ext('1006'), acme.config, { registered: true, hops: 0 }).refuse).toEqual({ status: 486, cause: 17 });
  });
  it('hop limit stops forwarding; emergency calls bypass DND and forwarding', () => {
    expect(terminatingDecision(ext('1004'), acme.config, { registered: true, hops: MAX_FORWARD_HOPS })).toMatchObject({ ringContacts: true, onBusy: undefined });
    expect(terminatingDecision(ext('1005'), acme.config, { registered: true, hops: 0, emergency: true })).toMatchObject({ ringContacts: true });
  });
});

describe('forwarding headers', () => {
  it('History-Info with escaped Reason and cause (RFC 7044, RFC 4458), Diversion with reason and counter (RFC 5806)', () => {
    const h = forwardingHeaders('sip:1003@acme.example', 'sip:vm@192.0.2.99:5080', { target: 'sip:vm@192.0.2.99:5080', reason: 'user-busy', cause: 486, voicemail: true }, 0);
    expect(h['History-Info']).toBe('<sip:1003@acme.example?Reason=SIP%3Bcause%3D486%3Btext%3D%22user-busy%22>;index=1, <sip:vm@192.0.2.99:5080;cause=486>;index=1.1;mp=1');
    expect(h.Diversion).toBe('<sip:1003@acme.example>;reason=user-busy;counter=1');
  });
  it('counts prior hops from Diversion counters and History-Info mp entries', () => {
    expect(forwardHops(['<sip:a@x>;reason=user-busy;counter=2', '<sip:b@x>;reason=no-answer'], [])).toBe(3);
    expect(forwardHops([], ['<sip:a@x>;index=1', '<sip:b@x>;index=1.1;mp=1'])).toBe(1);
  });
});

describe('dial plan', () => {
  it('a hunt group number dials the group', () => {
    expect(dial(acme, ext('1001'), '500')).toMatchObject({ kind: 'hunt', group: { strategy: 'circular', members: ['1001', '1002'] } });
  });
  it('extensions inside the tenant; another tenant’s extension number is 404 here', () => {
    expect(dial(acme, ext('1001'), '1002')).toMatchObject({ kind: 'extension', number: '1002' });
    expect(dial(acme, ext('1001'), '2001')).toMatchObject({ kind: 'refuse', status: 404 });
  });
  it('class of service: national may not call international (403, cause 21); blocked may call only 911/933', () => {
    expect(dial(acme, ext('1001'), '2125550199')).toMatchObject({ kind: 'pstn', reach: 'national' });
    expect(dial(acme, ext('1001'), '011442071234567')).toMatchObject({ kind: 'refuse', status: 403, cause: 21 });
    expect(dial(acme, ext('1008'), '+442071234567')).toMatchObject({ kind: 'pstn', reach: 'international' });
    expect(dial(acme, ext('1009'), '12125550199')).toMatchObject({ kind: 'refuse', status: 403 });
    expect(dial(acme, ext('1009'), '5550199')).toMatchObject({ kind: 'pstn', reach: 'local' });
    expect(dial(acme, ext('1007'), '5550199')).toMatchObject({ kind: 'refuse', status: 403 });
    expect(dial(acme, ext('1007'), '911')).toEqual({ kind: 'emergency', number: '911' });
    expect(dial(acme, ext('1007'), '933')).toEqual({ kind: 'emergency', number: '933' });
  });
  it('reach of NANP and international numbers', () => {
    expect(reachOf('+12125550100')).toBe('national');
    expect(reachOf('+4930123456')).toBe('international');
    expect(reachOf('12')).toBeUndefined();
  });
  it('DIDs map to tenant extensions (10 digits, 1+10, +1)', () => {
    expect(dir.did("2125550100")?.extension?.number).toBe('1001');
    expect(dir.did('+12125550100')?.tenant.id).toBe('acme');
    expect(dir.did('2125550101')).toBeUndefined();
  });
});

import { followMeSteps, huntDecision, type HuntGroup } from '../../src/class5/features/hunt.js';

describe('hunt groups and find-me-follow-me', () => {
  const g = (strategy: HuntGroup['strategy']): HuntGroup => ({ number: '500', strategy, members: ['1001', '1002', '1003'], ringS: 10 });
  const all = () => true;
  it('linear: members in order, unregistered ones skipped', () => {
    expect(huntDecision(g('linear'), { start: 2, available: (m) => m !== '1002' }).steps).toEqual([['1001'], ['1003']]);
  });
  it('circular: starts after last time’s first member and advances', () => {
    const a = huntDecision(g('circular'), { start: 0, available: all });
    expect(a.steps).toEqual([['1001'], ['1002'], ['1003']]);
    const b = huntDecision(g('circular'), { start: a.nextStart, available: all });
    expect(b.steps).toEqual([['1002'], ['1003'], ['1001']]);
    expect(b.nextStart).toBe(2);
  });
  it('simultaneous: one step with every available member; none available → no steps', () => {
    expect(huntDecision(g('simultaneous'), { start: 0, available: all }).steps).toEqual([['1001', '1002', '1003']]);
    expect(huntDecision(g('simultaneous'), { start: 0, available: () => false }).steps).toEqual([]);
  });
  it('follow-me: own phones then each number, or everything at once with a PSTN leg', () => {
    expect(followMeSteps(true, ['2125550123', '1002'], false)).toEqual([['self'], ['2125550123'], ['1002']]);
    expect(followMeSteps(true, ['2125550123'], true)).toEqual([['self', '2125550123']]);
  });
});

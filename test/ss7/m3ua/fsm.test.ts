import { describe, expect, it } from 'vitest';
import { AsFsm, AS_FSM } from '../../../src/ss7/m3ua/as-fsm.js';
import { AspFsm, ASP_FSM, type AspAction } from '../../../src/ss7/m3ua/asp-fsm.js';
import { AsStateInfo, OtherInfo, TrafficMode } from '../../../src/ss7/m3ua/constants.js';

const cfg = { routingContexts: [7], trafficMode: TrafficMode.LOADSHARE, ackTimeoutMs: 2000, beatIntervalMs: 0, beatMaxMissed: 3 };
const sent = (acts: AspAction[]) => acts.flatMap((a) => (a.kind === 'send' ? [a.msg.type] : []));

describe('ASP state machine as data (RFC 4666 §4.3.1)', () => {
  it('declares only the spec transitions', () => {
    expect(ASP_FSM.ASP_DOWN.to).toEqual(['ASP_INACTIVE']);
    expect(ASP_FSM.ASP_ACTIVE.to).toEqual(['ASP_DOWN', 'ASP_INACTIVE']);
    expect(ASP_FSM.ASP_DOWN.accepts).not.toContain('ASPTM_ASPAC_ACK');
  });

  it('asks for ASPUP only once the association is up, then ASPAC, one request at a time', () => {
    const f = new AspFsm(cfg);
    expect(f.handle({ name: 'M_ASP_ACTIVE_REQ' })).toEqual([]);
    expect(sent(f.handle({ name: 'SCTP_COMM_UP_IND' }))).toEqual(['ASPUP']);
    expect(sent(f.handle({ name: 'T_ACK_EXPIRY' }))).toEqual(['ASPUP']);
    const up = f.handle({ name: 'ASPSM_ASPUP_ACK' });
    expect(up).toContainEqual({ kind: 'state', from: 'ASP_DOWN', to: 'ASP_INACTIVE' });
    expect(up).toContainEqual({ kind: 'send', msg: { type: 'ASPAC', trafficMode: TrafficMode.LOADSHARE, routingContext: [7] } });
    expect(f.handle({ name: 'ASPTM_ASPAC_ACK' })).toContainEqual({ kind: 'state', from: 'ASP_INACTIVE', to: 'ASP_ACTIVE' });
  });

  it('treats an ACK that does not fit the state as unexpected', () => {
    const f = new AspFsm(cfg);
    expect(f.handle({ name: 'ASPTM_ASPAC_ACK' })).toEqual([{ kind: 'unexpected', event: 'ASPTM_ASPAC_ACK' }]);
  });

  it('goes ASP-DOWN on communication lost and stops its timers', () => {
    const f = new AspFsm(cfg);
    f.handle({ name: 'M_ASP_ACTIVE_REQ' });
    f.handle({ name: 'SCTP_COMM_UP_IND' });
    f.handle({ name: 'ASPSM_ASPUP_ACK' });
    const acts = f.handle({ name: 'SCTP_COMM_DOWN_IND' });
    expect(acts).toContainEqual({ kind: 'stopTimer', timer: 'ack' });
    expect(acts).toContainEqual({ kind: 'state', from: 'ASP_INACTIVE', to: 'ASP_DOWN' });
  });
});

describe('AS state machine (RFC 4666 §4.3.2)', () => {
  it('declares the spec transitions', () => {
    expect(AS_FSM.AS_ACTIVE).toEqual(['AS_PENDING']);
  });

  it('DOWN → INACTIVE → ACTIVE → PENDING → INACTIVE with NTFY at each announced state', () => {
    const as = new AsFsm(TrafficMode.OVERRIDE, 2000);
    expect(as.handle({ name: 'ASP_UP', asp: 'a' })).toContainEqual({ kind: 'ntfy', to: ['a'], status: { type: 1, info: AsStateInfo.AS_INACTIVE } });
    expect(as.handle({ name: 'ASP_ACTIVE', asp: 'a' })).toContainEqual({ kind: 'ntfy', to: ['a'], status: { type: 1, info: AsStateInfo.AS_ACTIVE } });
    as.handle({ name: 'ASP_UP', asp: 'b' });
    const over = as.handle({ name: 'ASP_ACTIVE', asp: 'b' });
    expect(over).toContainEqual({ kind: 'ntfy', to: ['a'], status: { type: 2, info: OtherInfo.ALTERNATE_ASP_ACTIVE } });
    expect(over.some((x) => x.kind === 'state')).toBe(false);
    const pend = as.handle({ name: 'ASP_DOWN', asp: 'b' });
    expect(pend).toContainEqual({ kind: 'startRecovery', ms: 2000 });
    expect(as.state).toBe('AS_PENDING');
    as.handle({ name: 'T_RECOVERY_EXPIRY' });
    expect(as.state).toBe('AS_INACTIVE');
  });
});

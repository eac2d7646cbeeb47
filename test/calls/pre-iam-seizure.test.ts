/**
 * An IAM from the far end for a circuit our outgoing leg has taken but not yet signalled on (its
 * gateway connection is still being made) — found by the soak. The leg owns the circuit from
 * seizure on, so the ISUP service applies the dual-seizure rule (Q.764 §2.9.1.4, T1.113.4
 * §2.10.1.4): on a circuit we control their IAM is disregarded and ours goes out (the far end
 * backs off when it sees it); on one they control, their call is taken and ours moves to another
 * circuit. Never a REL then an IAM on one CIC, and no call lost.
 */
import { describe, expect, it } from 'vitest';
import { buildIam } from '../../src/ss7/isup/builders.js';
import { labIncoming, settle } from './fakes.js';

const farIam = (cic: number) => buildIam({ cic, variant: 'ansi', called: '2125550123', calling: '3125550000' });

describe('an IAM from the far end while our IAM on that circuit waits for the gateway', () => {
  it('on a circuit we control: their IAM is disregarded, no REL; our IAM goes out', async () => {
    const l = labIncoming({ count: 4 });
    l.bearer!.holdCreate = true;
    l.start();
    await settle();
    // Our leg holds CIC 1 (odd: ours to control, our point code being the lower) while CRCX is pending.
    expect(l.circuits.get(1)).toMatchObject({ call: 'outgoing' });
    expect(l.far.types()).toEqual([]);
    l.far.deliver(farIam(1));
    await settle();
    l.bearer!.completeCreate();
    await settle();
    expect(l.far.types(1)).toEqual(['IAM']);
    expect(l.sip.uacs).toHaveLength(0);
  });

  it('on a circuit the far end controls: their call is taken (INVITE to the DID), ours goes out on another circuit', async () => {
    const l = labIncoming({ count: 4 });
    // The circuits we control (1, 3) are busy: our call falls back to an even one, which the far end controls.
    l.circuits.seizeOutgoing('busy');
    l.circuits.seizeOutgoing('busy');
    l.bearer!.holdCreate = true;
    l.start();
    await settle();
    const ours = l.circuits.snapshot().find((c) => c.call === 'outgoing' && c.callRef !== 'busy')!.cic;
    const other = ours === 2 ? 4 : 2;
    expect(ours % 2).toBe(0);
    l.far.deliver(farIam(ours));
    await settle();
    l.bearer!.completeCreate();
    await settle();
    l.bearer!.completeCreate();
    await settle();
    expect(l.far.types(ours)).not.toContain('REL'); 
    expect(l.sip.uacs).toHaveLength(1); // their call delivered to the DID's target
    expect(l.far.types(other)).toEqual(['IAM']); // ours on the other circuit
  });
});

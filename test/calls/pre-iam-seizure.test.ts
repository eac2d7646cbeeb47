/**
 * Known defect, found by the soak (soak.test.ts counts it as "REL then IAM on a circuit held for
 * an outgoing call"): an outgoing ISUP leg seizes its circuit (isup-outgoing-leg.ts:100), then
 * waits for the gateway's CRCX (:116) and only attaches to the circuit when it signals (:158).
 * An IAM from the far end in that window finds the circuit busy but ownerless, so the ISUP
 * service does not apply dual seizure (service.ts:165) and hands it to the PSTN intake, whose
 * seizeIncoming fails: REL 41, logged as "IAM on a circuit blocked for maintenance"
 * (pstn-intake.ts:57–60), with no release state kept. Then the leg sends its own IAM on the same
 * CIC. The far end's call is lost, and when its REL for that call crosses our REL 41 it arrives
 * on our new call, which takes it as its own release (seen in the soak: our call fails with
 * cause 16 and the far end keeps a call we have forgotten).
 *
 * Expected (Q.764 §2.9.1.4, T1.113.4 §2.10.1.4): treat the far end's IAM as a dual seizure —
 * on a circuit we control, disregard it and send our IAM; on one the far end controls, take the
 * far end's call and place ours on another circuit. Never REL then IAM on one CIC.
 *
 * The tests are `it.fails`: they pass while the defect is there; remove `.fails` once fixed.
 */
import { describe, expect, it } from 'vitest';
import { buildIam } from '../../src/ss7/isup/builders.js';
import { labIncoming, settle } from './fakes.js';

const farIam = (cic: number) => buildIam({ cic, variant: 'ansi', called: '2125550123', calling: '3125550000' });

describe('an IAM from the far end while our IAM on that circuit waits for the gateway (known defect)', () => {
  it.fails('on a circuit we control: their IAM is disregarded, no REL; our IAM goes out', async () => {
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
    expect(l.far.types(1)).toEqual(['IAM']); // today: ['REL', 'IAM']
  });

  it.fails('on a circuit the far end controls: their call is taken (INVITE to the DID), ours goes out on another circuit', async () => {
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
    expect(l.far.types(ours)).not.toContain('REL'); // today: REL 41 to their call, then our IAM
    expect(l.sip.uacs).toHaveLength(1); // their call delivered to the DID's target
    expect(l.far.types(other)).toEqual(['IAM']); // ours on the other circuit
  });
});

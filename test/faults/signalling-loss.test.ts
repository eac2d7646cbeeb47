/**
 * Loss, delay, duplication and reordering on both signalling paths at once: SIPp → relay → switch
 * (SIP over UDP: SIPp's INVITE/BYE retransmissions, the switch's 2xx retransmission until ACK,
 * its transaction timers) and switch ↔ relay ↔ tandem SG (SCTP over UDP: T3-rtx retransmission
 * under M3UA and ISUP). netem is not available on this kernel; the relay does it in user space
 * (test/helpers/impairment-relay.ts), seeded.
 *
 * Every call completes or fails cleanly: SIPp accounts for every call, the switch writes exactly
 * one CDR per SIP Call-ID, the tandem saw one IAM per CDR that seized a circuit, and afterwards
 * every circuit on both sides is idle.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { until } from '../helpers/lab-switch.js';
import { startImpairedLab, type ImpairedLab } from '../helpers/impaired-lab.js';
import { UdpImpairmentRelay, type Impairment } from '../helpers/impairment-relay.js';

const scenario = fileURLToPath(new URL('../scenarios/uac-via-relay.xml', import.meta.url));
const SEED = Number(process.env.FAULT_SEED ?? 20261130);
const IMPAIR: Impairment = { loss: 0.07, delayMs: [50, 200], duplicate: 0.02 };
// SIP keeps its order: SIPp's scenario engine aborts a call when a 180 overtakes the 200 (a SIPp
// limitation, not the switch's); loss, delay and duplicates still hit every SIP timer.
const SIP_IMPAIR: Impairment = { ...IMPAIR, keepOrder: true };

describe.skipIf(!hasSipp())('signalling path loss and delay (SIP and SS7)', () => {
  let lab: ImpairedLab | undefined;
  let sipRelay: UdpImpairmentRelay | undefined;
  afterAll(async () => {
    await sipRelay?.close();
    await lab?.stop();
  }, 30_000);

  it('every call completes or fails cleanly; no duplicate calls, no hung circuits, one CDR per call', async () => {
    lab = await startImpairedLab({}, SEED);
    const { ssw } = lab;
    lab.ss7Relay.impair(IMPAIR);
    sipRelay = await UdpImpairmentRelay.start({ target: { address: '127.0.0.1', port: ssw.sipPort }, seed: SEED + 1, toTarget: SIP_IMPAIR, fromTarget: SIP_IMPAIR });

    const offered = 40;
    const errFile = join(mkdtempSync(join(tmpdir(), 'sipp-err-')), 'errors.log');
    const sipp = await runSipp({
      scenario,
      target: `127.0.0.1:${sipRelay.portA}`,
      timeoutS: 150,
      args: ['-s', '12125550150', '-m', String(offered), '-r', '4', '-l', '20', '-recv_timeout', '60000', '-d', '1000', '-key', 'relay_contact_port', String(sipRelay.portB), '-trace_err', '-error_file', errFile],
    });
    if (sipp.stats.failed > 0 && existsSync(errFile)) console.log(readFileSync(errFile, 'utf8').slice(0, 6000));
    await until(() => ssw.calls.activeCount === 0, `every call to end on the switch: ${JSON.stringify(ssw.calls.snapshot())}`, 60_000);
    let busy = await lab.busyCircuits();
    const end = Date.now() + 30_000;
    while ((busy.switch > 0 || busy.tandem > 0) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      busy = await lab.busyCircuits();
    }
    const cdrs = (await ssw.cdrs.list({ limit: 10_000 }));
    const callIds = new Set(cdrs.map((c) => c.sipCallId));
    const answered = cdrs.filter((c) => c.answerTime !== undefined);
    const seized = cdrs.filter((c) => c.cic !== undefined);
    const iams = lab.tandem().simulator.history.filter((r) => r.direction === 'incoming');
    const figures = {
      seed: SEED,
      impairment: { ss7: IMPAIR, sip: SIP_IMPAIR },
      offered,
      sippCompleted: sipp.stats.successful,
      sippFailed: sipp.stats.failed,
      cdrs: cdrs.length,
      answeredCdrs: answered.length,
      iamsAtTandem: iams.length,
      hungCircuits: busy,
      sipRelay: sipRelay.counts,
      ss7Relay: lab.ss7Relay.counts,
    };
    console.log(`FAULTS signalling loss/delay: ${JSON.stringify(figures)}`);

    // SIPp accounts for every call it placed, and most get through 7 % loss each way.
    expect(sipp.stats.successful + sipp.stats.failed).toBe(offered);
    expect(sipp.stats.successful).toBeGreaterThanOrEqual(offered * 0.8);
    // Faults really happened on both paths.
    expect(sipRelay.counts.ab.dropped + sipRelay.counts.ba.dropped).toBeGreaterThan(0);
    expect(lab.ss7Relay.counts.ab.dropped + lab.ss7Relay.counts.ba.dropped).toBeGreaterThan(0);
    // One call (and one CDR) per SIP Call-ID however often the INVITE arrived; one IAM per seized circuit.
    expect(callIds.size).toBe(cdrs.length);
    expect(cdrs.length).toBe(offered);
    expect(iams.length).toBe(seized.length);
    // Completed calls all have their CDR (the switch saw every call SIPp completed answered).
    expect(answered.length).toBeGreaterThanOrEqual(sipp.stats.successful);
    expect(busy).toEqual({ switch: 0, tandem: 0 });
  }, 300_000);
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';
import { SipError, type ProvisionalInfo } from '../../src/sip/port.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { GATEWAY_SDP, startTestApp, type AppLog } from './test-app.js';

const scenario = (name: string) => fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));
const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe.skipIf(!hasSipp())('embedded SIP port against SIPp', () => {
  let port: EmbeddedSignallingPort;
  let log: AppLog;
  let target: string;

  beforeEach(async () => {
    ({ port, log } = await startTestApp());
    target = `127.0.0.1:${port.port}`;
  });
  afterEach(async () => {
    await port.close();
  });

  it('built-in uac: 50 calls at 20 cps complete INVITE/200/ACK/BYE (exit code 0)', async () => {
    const r = await runSipp({ scenario: 'uac', target, args: ['-m', '50', '-r', '20', '-l', '50'], timeoutS: 20 });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    expect(r.stats.successful).toBe(50);
    expect(r.stats.failed).toBe(0);
    await until(() => log.destroyed.length === 50);
    expect(log.destroyed.every((d) => d.by === 'remote')).toBe(true);
    expect(port.core.dialogCount).toBe(0);
  }, 30_000);

  it('10% packet loss (SIPp -lost 10): retransmissions on both sides still complete 30 calls and free every dialog', async () => {
    const r = await runSipp({ scenario: 'uac', target, args: ['-m', '30', '-r', '30', '-lost', '10'], timeoutS: 30 });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    expect(r.stats.successful).toBe(30);
    // SIPp's built-in uac matches responses by status alone: when its ACK is lost, our retransmitted
    // 200 (INVITE) passes for the 200 to its BYE, so it may end a call without our seeing ACK or BYE.
    // Such a dialog is still retransmitting its 2xx and ends by itself at 64*T1 (RFC 3261 §13.3.1.4).
    await until(() => log.destroyed.length + port.core.unacknowledgedDialogs === 30);
    expect(log.destroyed.length + port.core.unacknowledgedDialogs).toBe(30);
    expect(port.core.dialogCount).toBe(port.core.unacknowledgedDialogs);
    expect(log.invites).toBe(30);
  }, 40_000);

  it('our side releases first: BYE with Reason, SIPp answers 200', async () => {
    const r = await runSipp({ scenario: scenario('uac-remote-bye.xml'), target, args: ['-s', 'releaser', '-m', '3', '-r', '10'], timeoutS: 15 });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    await until(() => log.localByes === 3);
    expect(log.localByes).toBe(3);
    expect(log.destroyed).toHaveLength(0);
  }, 30_000);

  it('486 Busy Here with Reason: Q.850;cause=17, ACKed in the transaction', async () => {
    const r = await runSipp({ scenario: scenario('uac-reject.xml'), target, args: ['-s', 'busy', '-m', '2'], timeoutS: 15 });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    expect(log.invites).toBe(2);
  }, 30_000);

  it('CANCEL before answer: 200 to CANCEL, 487 to INVITE, cancel event to the app', async () => {
    const r = await runSipp({ scenario: scenario('uac-cancel.xml'), target, args: ['-s', 'ring', '-m', '2'], timeoutS: 15 });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    expect(log.cancels).toBe(2);
    expect(log.answered).toHaveLength(0);
  }, 30_000);

  it('183 Session Progress with SDP, then 200 with SDP; caller BYE carries Reason to the destroy event', async () => {
    const r = await runSipp({ scenario: scenario('uac-early-media.xml'), target, args: ['-s', 'early', '-m', '1'], timeoutS: 15 });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    await until(() => log.destroyed.length === 1);
    expect(log.destroyed[0]).toMatchObject({ by: 'remote', reason: 'Q.850;cause=16' });
    expect(log.answered[0].remoteSdp).toContain('m=audio');
    expect(log.answered[0].localSdp).toBe(GATEWAY_SDP);
  }, 30_000);

  it('createUAC towards SIPp uas: 180, 200 with SDP, ACK, then our BYE', async () => {
    const sippPort = await freeUdpPort();
    const sipp = runSipp({ scenario: 'uas', localPort: sippPort, args: ['-m', '1'], timeoutS: 15 });
    await new Promise((r) => setTimeout(r, 300));
    const provisional: ProvisionalInfo[] = [];
    const d = await port.createUAC(`sip:+4930999@127.0.0.1:${sippPort}`, { localSdp: GATEWAY_SDP, from: '+4940111', onProvisional: (p) => provisional.push(p) });
    expect(provisional.map((p) => p.status)).toContain(180);
    expect(d.type).toBe('uac');
    expect(d.remoteSdp).toContain('m=audio');
    await d.destroy();
    const r = await sipp;
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    expect(r.stats.successful).toBe(1);
  }, 30_000);

  it('createUAC rejects with SipError when nothing answers (timer B → 408)', async () => {
    const { VirtualClock } = await import('../../src/util/clock.js');
    const clock = new VirtualClock();
    const quiet = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock });
    const dead = await freeUdpPort();
    const p = quiet.createUAC(`sip:x@127.0.0.1:${dead}`, { localSdp: GATEWAY_SDP });
    clock.advance(32_000);
    await expect(p).rejects.toMatchObject({ name: 'SipError', status: 408 });
    expect(SipError).toBeDefined();
    await quiet.close();
  });
});

describe('embedded port', () => {
  it('binds the configured address on an OS-chosen port', async () => {
    const p = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock });
    expect(p.port).toBeGreaterThan(0);
    expect(p.address).toBe('127.0.0.1');
    await expect(EmbeddedSignallingPort.create({ address: '127.0.0.1', port: p.port, logger: silentLogger, clock: systemClock })).rejects.toMatchObject({ code: 'SSW_ERR_PORT_IN_USE' });
    await p.close();
  });
});

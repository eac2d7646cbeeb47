/**
 * Checks on the patched npm `sctp` package itself (patches/sctp+1.0.0.patch), below our
 * transport's own guards.
 */
import { describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPkgEndpoint, type PkgAssociation } from '../../../src/ss7/sctp/node-sctp.js';

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

describe('patched node-sctp', () => {
  it('refuses stream id == negotiated OS (valid ids are 0..OS-1, RFC 4960 §5.1.1)', async () => {
    const [sa, sb] = [await udp(), await udp()];
    const pa = sa.address().port;
    const pb = sb.address().port;
    const eb = createPkgEndpoint({ localPort: pb, MIS: 2, OS: 2 }, { udpTransport: sb, udpPeer: { address: '127.0.0.1', port: pa } });
    const ea = createPkgEndpoint({ localPort: pa, MIS: 2, OS: 2 }, { udpTransport: sa, udpPeer: { address: '127.0.0.1', port: pb } });
    const got: number[] = [];
    eb.on('association', (b: PkgAssociation) => b.on('DATA ARRIVE', (s: number) => (b.RECEIVE(), got.push(s))));
    const a = ea.ASSOCIATE({ remotePort: pb });
    await new Promise((r) => a.once('COMMUNICATION UP', r));
    expect(a.OS).toBe(2);
    const errors: (Error | undefined)[] = [];
    a.send(Buffer.from('x'), { stream_id: 2, ppid: 3 }, (e) => errors.push(e));
    a.send(Buffer.from('y'), { stream_id: 1, ppid: 3 }, (e) => errors.push(e));
    await new Promise((r) => setTimeout(r, 100));
    expect(errors[0]?.message).toMatch(/wrong stream id 2/);
    expect(errors[1]).toBeUndefined();
    expect(got).toEqual([1]);
    a.ABORT();
    ea.DESTROY();
    eb.DESTROY();
    sa.close();
    sb.close();
  });

  it('cwnd grows while the window is used (RFC 4960 §7.2.1) and Max.Burst does not lower it for good', async () => {
    const [sa, sb] = [await udp(), await udp()];
    const pa = sa.address().port;
    const pb = sb.address().port;
    const eb = createPkgEndpoint({ localPort: pb, MIS: 1, OS: 1 }, { udpTransport: sb, udpPeer: { address: '127.0.0.1', port: pa } });
    const ea = createPkgEndpoint({ localPort: pa, MIS: 1, OS: 1 }, { udpTransport: sa, udpPeer: { address: '127.0.0.1', port: pb } });
    let got = 0;
    eb.on('association', (b: PkgAssociation) => b.on('DATA ARRIVE', () => (b.RECEIVE(), got++)));
    const a = ea.ASSOCIATE({ remotePort: pb });
    await new Promise((r) => a.once('COMMUNICATION UP', r));
    const initial = a.cwnd;
    expect(initial).toBe(Math.min(4 * 1500, Math.max(2 * 1500, 4380)));
    const total = 3000;
    let sent = 0;
    // Like the transport: offer 100-byte messages while less than cwnd is outstanding (rule B;
    // the package counts a chunk in flightsize only when it bundles it, later in the turn).
    const fill = () => {
      let offered = 0;
      while (sent < total && a.flightsize + offered < a.cwnd) {
        let refused = false;
        a.send(Buffer.alloc(84, 1), { stream_id: 0, ppid: 3 }, (e) => e && (refused = true));
        if (refused) break;
        sent++;
        offered += 100;
      }
    };
    a.on('sack', () => setImmediate(fill));
    fill();
    const deadline = Date.now() + 5000;
    while (got < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toBe(total);
    const grown = a.cwnd;
    expect(grown).toBeGreaterThan(initial + 4 * 1500);
    // One small send with nothing outstanding must not clamp cwnd to flightsize + Max.Burst*MTU.
    await new Promise((r) => setTimeout(r, 50));
    expect(a.flightsize).toBe(0);
    a.send(Buffer.alloc(84, 2), { stream_id: 0, ppid: 3 }, () => undefined);
    expect(a.cwnd).toBe(grown);
    a.ABORT();
    ea.DESTROY();
    eb.DESTROY();
    sa.close();
    sb.close();
  });

  it('the committed patch applies to a pristine sctp@1.0.0 tree', () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
    const dir = mkdtempSync(join(tmpdir(), 'sctp-patch-'));
    try {
      const pristine = join(dir, 'node_modules/sctp');
      mkdirSync(pristine, { recursive: true });
      // The installed tree is patched; undo the patch on a copy, then re-apply it.
      cpSync(join(root, 'node_modules/sctp'), pristine, { recursive: true });
      const patch = join(root, 'patches/sctp+1.0.0.patch');
      execFileSync('git', ['apply', '-R', '--check', patch], { cwd: dir, stdio: 'pipe' });
      execFileSync('git', ['apply', '-R', patch], { cwd: dir, stdio: 'pipe' });
      execFileSync('git', ['apply', '--check', patch], { cwd: dir, stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

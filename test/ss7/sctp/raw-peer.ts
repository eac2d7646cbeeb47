/**
 * One end of the raw-IP test, run inside a network namespace:
 *   node --import tsx raw-peer.ts server LOCAL_IP LOCAL_PORT REMOTE_IP REMOTE_PORT
 *   node --import tsx raw-peer.ts client LOCAL_IP LOCAL_PORT REMOTE_IP REMOTE_PORT COUNT
 * The server echoes; the client sends COUNT numbered messages on 4 streams, checks the echoes,
 * closes, and prints one JSON line starting with RESULT.
 */
import { acceptSctpRaw, connectSctpRaw } from '../../../src/ss7/sctp/raw-transport.js';
import { PPID_M3UA } from '../../../src/ss7/sctp/association.js';
import { numbered, OrderCheck } from './pair.js';

const [role, localAddress, localPort, remoteAddress, remotePort, count] = process.argv.slice(2);
const base = { localAddress, localPort: Number(localPort), remoteAddress, remotePort: Number(remotePort), streams: 4 };
const fail = (why: string) => {
  process.stdout.write(`RESULT ${JSON.stringify({ ok: false, why })}\n`);
  process.exit(1);
};
setTimeout(() => fail('timeout'), 20_000).unref();

if (role === 'server') {
  const a = acceptSctpRaw(base);
  a.on('message', (d: Buffer, s: number, p: number) => a.send(d, s, p));
  a.on('down', (why: string) => {
    process.stdout.write(`RESULT ${JSON.stringify({ ok: true, down: why, stats: a.stats() })}\n`);
    process.exit(0);
  });
  process.stdout.write('READY\n');
} else {
  const n = Number(count);
  const a = connectSctpRaw({ ...base, setupTimeoutMs: 1000, maxAttempts: 5 });
  const check = new OrderCheck();
  a.on('down', (why: string) => check.received < n && fail(`down before echoes: ${why}`));
  a.once('up', () => {
    for (let i = 0; i < n; i++) a.send(numbered(i % 4, i >> 2), i % 4, PPID_M3UA);
  });
  a.on('message', async (d: Buffer, s: number) => {
    check.accept(d, s);
    if (check.received !== n) return;
    await a.close();
    process.stdout.write(`RESULT ${JSON.stringify({ ok: check.errors === 0 && check.corrupt === 0, received: check.received, errors: check.errors, stats: a.stats() })}\n`);
    process.exit(0);
  });
}

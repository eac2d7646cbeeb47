/**
 * Defect 4: "a 300 MB body gets 413 but RSS rises from 150 to 382 MB and stays; a 255 MB junk
 * deck blocks the event loop for 13.3 s". Bodies are bounded per route and the deck upload is
 * checked while it streams; the hostile uploads are sent for real to the API in a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, bearer, type TestApi } from './app.js';

const MiB = 1024 * 1024;

interface UploadResult {
  status: number;
  body: string;
  /** Bytes the client had handed to the socket when the reply arrived. */
  sentBeforeReply: number;
  ms: number;
}

/** POSTs chunks from `chunks` until the reply arrives (then stops: abort early) or they run out. */
async function upload(port: number, path: string, headers: Record<string, string | number>, chunks: Iterable<Buffer>): Promise<UploadResult> {
  const t0 = performance.now();
  let sent = 0;
  let sentBeforeReply = -1;
  const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false });
  const reply = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res) => {
      sentBeforeReply = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      // The server closes the connection after an early reply: 'close' may come without 'end'.
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // EPIPE/ECONNRESET once the server has replied and closed: expected. Before a reply it is
    // the server closing while data was in flight (the reply may be lost to the reset).
    req.on('error', (err) => (sentBeforeReply >= 0 ? undefined : resolve({ status: 0, body: `connection error before a reply: ${err.message}` })));
  });
  const settled = reply.then(
    () => undefined,
    () => undefined,
  );
  let first = true;
  for (const chunk of chunks) {
    if (sentBeforeReply >= 0 || req.destroyed) break;
    const more = req.write(chunk);
    sent += chunk.length;
    // Time for a reply decided on the headers alone to arrive before the bulk is sent.
    if (first) await Promise.race([new Promise((r) => setTimeout(r, 100)), settled]);
    first = false;
    if (!more) await new Promise<void>((resolve) => {
      const done = () => {
        req.off('drain', done);
        req.off('close', done);
        resolve();
      };
      req.on('drain', done);
      req.on('close', done);
      void settled.then(done);
    });
  }
  if (sentBeforeReply < 0 && !req.destroyed) req.end();
  const r = await reply;
  req.destroy();
  return { ...r, sentBeforeReply, ms: performance.now() - t0 };
}

/** `total` bytes in 1 MiB chunks, all the same buffer (the client allocates nothing per chunk). */
function* repeat(chunk: Buffer, total: number): Generator<Buffer> {
  for (let n = 0; n < total; n += chunk.length) yield n + chunk.length <= total ? chunk : chunk.subarray(0, total - n);
}

/** A deck that stays valid however long it gets (comment lines after the header), `total` bytes. */
function* endlessValidDeck(total: number): Generator<Buffer> {
  yield Buffer.from('prefix,interstate\n1212,0.004\n');
  yield* repeat(Buffer.from(`# ${'x'.repeat(1021)}\n`.repeat(1024)), total);
}

function* deckWithJunkRows(total: number): Generator<Buffer> {
  yield Buffer.from('prefix,interstate,intrastate\n');
  yield* repeat(Buffer.from('abc,def,ghi\n'.repeat(MiB / 12)), total);
}

describe('body limits in process', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await buildApi({ api: { limits: { jsonBytes: 4096, deckBytes: 64 * 1024 } } });
  });
  afterAll(() => t.close());

  it('JSON bodies above api.limits.jsonBytes are 413 with the operator code', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/test/echo', payload: JSON.stringify({ note: 'x'.repeat(5000) }), headers: { 'content-type': 'application/json', ...bearer('operator') } });
    expect(r.statusCode).toBe(413);
    expect(r.json().code).toBe('SSW_ERR_API_BODY_TOO_LARGE');
  });

  it('a deck above api.limits.deckBytes is 413; a binary one 415; one with a bad row 422 naming the line', async () => {
    const post = (payload: string | Buffer, type = 'text/csv') => t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload, headers: { 'content-type': type, ...bearer('admin') } });
    const big = await post('prefix,interstate\n' + '1212,0.004\n'.repeat(7000));
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('SSW_ERR_API_BODY_TOO_LARGE');
    const binary = await post(randomBytes(4096));
    expect(binary.statusCode).toBe(415);
    expect(binary.json().error).toMatch(/not UTF-8/);
    expect((await post('prefix,interstate\n1\0,1\n')).statusCode).toBe(415);
    const bad = await post('# comment\n\nprefix,interstate\n1212,0.004\n1213,abc\n');
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ ok: false, code: 'SSW_ERR_RATE_DECK_INVALID', errors: [{ line: 5, message: expect.stringMatching(/interstate rate "abc"/) }] });
    const header = await post('\nprefix;interstate\n1212;0.004\n');
    expect(header.statusCode).toBe(422);
    expect(header.json().errors[0]).toMatchObject({ line: 2, message: expect.stringMatching(/header/) });
    const unknown = await post('prefix,interstate\n1212,0.004\n'.replace('1212', '1313'));
    expect(unknown.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/nope', payload: 'x', headers: { 'content-type': 'text/csv', ...bearer('admin') } })).json().code).toBe('SSW_ERR_UNKNOWN_CARRIER');
  });
});

interface ProcessStats {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  maxStallMs: number;
}

describe('hostile uploads to the API in its own process (default limits: 64 MiB decks)', () => {
  let child: ChildProcess;
  let port: number;
  const report: string[] = [];
  const stats = async (gc = false): Promise<ProcessStats> => {
    const r = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: `/test/process${gc ? '?gc=1' : ''}`, agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      })
        .on('error', reject)
        .end();
    });
    return JSON.parse(r) as ProcessStats;
  };
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;

  beforeAll(async () => {
    child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/api/fixtures/upload-server.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    port = (JSON.parse(line) as { port: number }).port;
    // Warm up the deck path so its code is not counted as growth.
    const warm = await upload(port, '/api/v1/routes/decks/ixc-b', { 'content-type': 'text/csv' }, [Buffer.from('prefix,interstate\n1212,0.004\n')]);
    expect(warm.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    if (report.length) process.stderr.write(`\nhostile uploads (child process RSS):\n${report.join('\n')}\n`);
  });

  const measure = async (name: string, run: () => Promise<UploadResult>) => {
    const before = await stats(true);
    const r = await run();
    const after = await stats();
    const afterGc = await stats(true);
    report.push(`  ${name}: ${r.status} after ${r.ms.toFixed(0)} ms, client had sent ${mb(r.sentBeforeReply)}; RSS ${mb(before.rss)} -> ${mb(after.rss)} (after GC ${mb(afterGc.rss)}); longest event-loop stall ${after.maxStallMs.toFixed(0)} ms`);
    return { r, before, after, afterGc };
  };

  it('300 MiB with Content-Length: 413 before the body is read', async () => {
    const { r, before, afterGc, after } = await measure('300 MiB, Content-Length', () =>
      upload(port, '/api/v1/routes/decks/ixc-b', { 'content-type': 'text/csv', 'content-length': 300 * MiB }, repeat(Buffer.alloc(MiB, 0x31), 300 * MiB)),
    );
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).code).toBe('SSW_ERR_API_BODY_TOO_LARGE');
    expect(r.sentBeforeReply).toBeLessThan(16 * MiB);
    expect(after.rss - before.rss).toBeLessThan(32 * MiB);
    expect(afterGc.rss - before.rss).toBeLessThan(32 * MiB);
  });

  it('300 MiB chunked (no Content-Length): 413 once 64 MiB have arrived, the rest never read', async () => {
    const { r, before, afterGc } = await measure('300 MiB valid-looking deck, chunked', () => upload(port, '/api/v1/routes/decks/ixc-b', { 'content-type': 'text/csv' }, endlessValidDeck(300 * MiB)));
    expect(r.status).toBe(413);
    expect(r.sentBeforeReply).toBeLessThan(64 * MiB + 16 * MiB);
    // What the server held is bounded by the limit, whatever the client sends.
    expect(afterGc.rss - before.rss).toBeLessThan(96 * MiB);
  });

  it('255 MB deck of junk rows: 422 at the first batch, no long event-loop stall', async () => {
    const { r, after } = await measure('255 MB junk-row deck, chunked', () => upload(port, '/api/v1/routes/decks/ixc-b', { 'content-type': 'text/csv' }, deckWithJunkRows(255e6)));
    expect(r.status).toBe(422);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ ok: false, code: 'SSW_ERR_RATE_DECK_INVALID' });
    expect(body.errors[0]).toMatchObject({ line: 2, message: expect.stringMatching(/prefix "abc"/) });
    expect(body.stoppedAtLine).toBeLessThan(100_000);
    expect(r.sentBeforeReply).toBeLessThan(16 * MiB);
    expect(after.maxStallMs).toBeLessThan(1000);
  });

  it('300 MiB on one line (no newline): 422 once the line passes 64 Ki characters', async () => {
    const { r, after } = await measure('300 MiB without a newline, chunked', () => upload(port, '/api/v1/routes/decks/ixc-b', { 'content-type': 'text/csv' }, repeat(Buffer.alloc(MiB, 0x31), 300 * MiB)));
    expect(r.status).toBe(422);
    expect(JSON.parse(r.body).errors[0]).toMatchObject({ line: 1, message: expect.stringMatching(/longer than 65536/) });
    expect(r.sentBeforeReply).toBeLessThan(16 * MiB);
    expect(after.maxStallMs).toBeLessThan(1000);
  });

  it('300 MiB of random bytes: 415 at the first chunk', async () => {
    const junk = randomBytes(MiB);
    const { r, after } = await measure('300 MiB random bytes, chunked', () => upload(port, '/api/v1/routes/decks/ixc-b', { 'content-type': 'text/csv' }, repeat(junk, 300 * MiB)));
    expect(r.status).toBe(415);
    expect(r.sentBeforeReply).toBeLessThan(16 * MiB);
    expect(after.maxStallMs).toBeLessThan(1000);
  });

  it('an unauthenticated or unknown-carrier upload is refused before its body is read', async () => {
    const r = await measure('300 MiB to an unknown carrier', () => upload(port, '/api/v1/routes/decks/nope', { 'content-type': 'text/csv' }, repeat(Buffer.alloc(MiB, 0x31), 300 * MiB)));
    expect(r.r.status).toBe(404);
    expect(r.r.sentBeforeReply).toBeLessThan(16 * MiB);
  });
});

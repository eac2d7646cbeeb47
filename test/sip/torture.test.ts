/**
 * RFC 4475 (SIP torture test messages) and RFC 5118 (IPv6 torture messages), byte-exact from
 * test/sip/vectors (see its README). Each message goes to the parser and to a UA core; the table
 * printed at the end shows message, what the RFC expects, and what the stack did.
 *
 * Expected outcome per message:
 * - a status: the final response the stack sends (100 for an INVITE handed to the application)
 * - 'drop': nothing sent (a response not matching anything of ours, or an unparseable one)
 */
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCSeq, parseNameAddr, parseUri, parseVia } from '../../src/sip/header-values.js';
import type { SipMessage, SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { rig } from './rig.js';

const dir = (sub: string) => fileURLToPath(new URL(`./vectors/${sub}/`, import.meta.url));
const load = (sub: string, file: string) => readFileSync(dir(sub) + file);

type Outcome = number | 'drop';
interface Case {
  rfc: string;
  /** 'valid' must parse; 'invalid' must be refused; 'app': the UA must react as given (mcl01 is already refused by the parser). */
  kind: 'valid' | 'invalid' | 'app';
  expect: Outcome;
  /** Field checks on the parsed message, for valid ones. */
  check?: (m: SipMessage) => void;
}

const req = (m: SipMessage): SipRequest => {
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
};

/** RFC 4475 §3 and RFC 5118 §4, with what this stack (a UA, not a proxy or registrar) must answer. */
const CASES: Record<string, Case> = {
  // §3.1.1 valid messages
  // A To tag and no such dialog: 481 (RFC 3261 §12.2.2) once the tortuous headers are parsed.
  wsinv: {
    rfc: '4475 §3.1.1.1',
    kind: 'valid',
    expect: 481,
    check: (m) => {
      const r = req(m);
      expect(r.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
      expect(parseNameAddr(r.headers.get('to')!)).toMatchObject({ uri: 'sip:vivekg@chair-dnrc.example.com', tag: '1918181833n' });
      expect(parseNameAddr(r.headers.get('from')!)).toMatchObject({ displayName: 'J Rosenberg \\\\\\"', uri: 'sip:jdrosen@example.com', tag: '98asjd8' });
      expect(r.headers.get('max-forwards')).toBe('0068');
      expect(parseCSeq(r.headers.get('cseq')!)).toEqual({ seq: 9, method: 'INVITE' });
      const vias = r.headers.getAll('via').map((v) => parseVia(v));
      expect(vias.map((v) => [v?.transport, v?.host, v?.branch])).toEqual([
        ['UDP', '192.0.2.2', '390skdjuw'],
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ]);
      expect(r.headers.get('subject')).toBe('');
      expect(r.headers.get('newfangledheader')).toBe('newfangled value continued newfangled value');
      expect(parseNameAddr(r.headers.get('contact')!)).toMatchObject({ displayName: 'Quoted string \\"\\"', uri: 'sip:jdrosen@example.com' });
      expect(r.body.length).toBe(150);
    },
  },
  intmeth: {
    rfc: '4475 §3.1.1.2',
    kind: 'valid',
    expect: 501,
    check: (m) => {
      const r = req(m);
      expect(r.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
      expect(parseCSeq(r.headers.get('cseq')!)).toEqual({ seq: 139122385, method: r.method });
      expect(parseNameAddr(r.headers.get('from')!)?.tag).toBe("_token~1'+`*%!-.");
      expect(r.headers.get('call-id')).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
      expect(parseNameAddr(r.headers.get('to')!)?.uri).toBe("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com");
    },
  },
  esc01: { rfc: '4475 §3.1.1.3', kind: 'valid', expect: 100, check: (m) => expect(parseUri(req(m).uri)).toMatchObject({ user: 'sips%3Auser%40example.com', host: 'example.net' }) },
  escnull: { rfc: '4475 §3.1.1.4', kind: 'valid', expect: 405, check: (m) => expect(req(m).headers.getAll('contact')).toHaveLength(2) },
  esc02: { rfc: '4475 §3.1.1.5', kind: 'valid', expect: 501, check: (m) => expect(req(m).method).toBe('RE%47IST%45R') },
  lwsdisp: { rfc: '4475 §3.1.1.6', kind: 'valid', expect: 200, check: (m) => expect(parseNameAddr(req(m).headers.get('from')!)).toMatchObject({ displayName: 'caller', tag: '323' }) },
  longreq: {
    rfc: '4475 §3.1.1.7',
    kind: 'valid',
    expect: 100,
    check: (m) => {
      const r = req(m);
      expect(r.headers.getAll('via')).toHaveLength(34);
      const to = parseNameAddr(r.headers.get('to')!)!;
      expect(to.displayName).toMatch(/^I have a user name of (extreme)+ proportion$/);
      expect(parseUri(to.uri)).toMatchObject({ user: 'user', host: 'example.com', port: 6000 });
      expect(parseUri(to.uri)?.params.has('unknownparam1')).toBe(true);
      expect(r.headers.get('call-id')).toMatch(/^longreq\.one(really)+longcallid$/);
    },
  },
  dblreq: { rfc: '4475 §3.1.1.8', kind: 'valid', expect: 405, check: (m) => expect([req(m).method, req(m).body.length]).toEqual(['REGISTER', 0]) },
  semiuri: { rfc: '4475 §3.1.1.9', kind: 'valid', expect: 200, check: (m) => expect(parseUri(req(m).uri)).toMatchObject({ user: 'user;par=u%40example.net', host: 'example.com' }) },
  transports: { rfc: '4475 §3.1.1.10', kind: 'valid', expect: 200, check: (m) => expect(req(m).headers.getAll('via').map((v) => parseVia(v)?.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']) },
  mpart01: { rfc: '4475 §3.1.1.11', kind: 'valid', expect: 405, check: (m) => expect([req(m).headers.get('content-type'), req(m).body.length]).toEqual(['multipart/mixed;boundary=7a9cbec02ceef655', Number(req(m).headers.get('content-length'))]) },
  unreason: { rfc: '4475 §3.1.1.12', kind: 'valid', expect: 'drop', check: (m) => expect(m.kind === 'response' && m.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое') },
  noreason: { rfc: '4475 §3.1.1.13', kind: 'valid', expect: 'drop', check: (m) => expect(m.kind === 'response' && [m.status, m.reason]).toEqual([100, '']) },
  // §3.1.2 invalid messages
  badinv01: { rfc: '4475 §3.1.2.1', kind: 'invalid', expect: 400 },
  clerr: { rfc: '4475 §3.1.2.2', kind: 'invalid', expect: 400 },
  ncl: { rfc: '4475 §3.1.2.3', kind: 'invalid', expect: 400 },
  scalar02: { rfc: '4475 §3.1.2.4', kind: 'invalid', expect: 400 },
  scalarlg: { rfc: '4475 §3.1.2.5', kind: 'invalid', expect: 'drop' },
  quotbal: { rfc: '4475 §3.1.2.6', kind: 'invalid', expect: 400 },
  ltgtruri: { rfc: '4475 §3.1.2.7', kind: 'invalid', expect: 400 },
  lwsruri: { rfc: '4475 §3.1.2.8', kind: 'invalid', expect: 400 },
  lwsstart: { rfc: '4475 §3.1.2.9', kind: 'invalid', expect: 400 },
  trws: { rfc: '4475 §3.1.2.10', kind: 'invalid', expect: 400 },
  escruri: { rfc: '4475 §3.1.2.11', kind: 'invalid', expect: 400 },
  baddate: { rfc: '4475 §3.1.2.12', kind: 'invalid', expect: 400 },
  regbadct: { rfc: '4475 §3.1.2.13', kind: 'invalid', expect: 400 },
  badaspec: { rfc: '4475 §3.1.2.14', kind: 'invalid', expect: 400 },
  baddn: { rfc: '4475 §3.1.2.15', kind: 'invalid', expect: 400 },
  badvers: { rfc: '4475 §3.1.2.16', kind: 'invalid', expect: 505 },
  mismatch01: { rfc: '4475 §3.1.2.17', kind: 'invalid', expect: 400 },
  mismatch02: { rfc: '4475 §3.1.2.18', kind: 'invalid', expect: 400 },
  bigcode: { rfc: '4475 §3.1.2.19', kind: 'invalid', expect: 'drop' },
  // §3.2 transaction layer
  badbranch: { rfc: '4475 §3.2.1', kind: 'valid', expect: 200 },
  // §3.3 application layer (a UA: not a registrar, not a proxy)
  insuf: { rfc: '4475 §3.3.1', kind: 'app', expect: 400 },
  unkscm: { rfc: '4475 §3.3.2', kind: 'app', expect: 416 },
  novelsc: { rfc: '4475 §3.3.3', kind: 'app', expect: 416 },
  unksm2: { rfc: '4475 §3.3.4', kind: 'app', expect: 405 },
  bext01: { rfc: '4475 §3.3.5', kind: 'app', expect: 420 },
  invut: { rfc: '4475 §3.3.6', kind: 'app', expect: 415 },
  regaut01: { rfc: '4475 §3.3.7', kind: 'app', expect: 405 },
  multi01: { rfc: '4475 §3.3.8', kind: 'app', expect: 400 },
  mcl01: { rfc: '4475 §3.3.9', kind: 'app', expect: 400 },
  bcast: { rfc: '4475 §3.3.10', kind: 'app', expect: 'drop' },
  zeromf: { rfc: '4475 §3.3.11', kind: 'app', expect: 200 },
  cparam01: { rfc: '4475 §3.3.12', kind: 'app', expect: 405 },
  cparam02: { rfc: '4475 §3.3.13', kind: 'app', expect: 405 },
  regescrt: { rfc: '4475 §3.3.14', kind: 'app', expect: 405 },
  sdp01: { rfc: '4475 §3.3.15', kind: 'app', expect: 406 },
  // §3.4 backward compatibility
  inv2543: { rfc: '4475 §3.4.1', kind: 'valid', expect: 100, check: (m) => expect(parseNameAddr(req(m).headers.get('from')!)?.tag).toBeUndefined() },
  // RFC 5118
  'ipv6-good': { rfc: '5118 §4.1', kind: 'valid', expect: 405, check: (m) => expect(parseUri(req(m).uri)).toMatchObject({ host: '[2001:db8::10]', port: undefined }) },
  'ipv6-bad': { rfc: '5118 §4.2', kind: 'invalid', expect: 400 },
  'port-ambiguous': { rfc: '5118 §4.3', kind: 'valid', expect: 405, check: (m) => expect(parseUri(req(m).uri)).toMatchObject({ host: '[2001:db8::10:5070]', port: undefined }) },
  'port-unambiguous': { rfc: '5118 §4.3', kind: 'valid', expect: 405, check: (m) => expect(parseUri(req(m).uri)).toMatchObject({ host: '[2001:db8::10]', port: 5070 }) },
  'via-received-param-with-delim': { rfc: '5118 §4.4', kind: 'valid', expect: 481, check: (m) => expect(parseVia(req(m).headers.get('via')!)?.params.get('received')).toBe('[2001:db8::9:255]') },
  'via-received-param-no-delim': { rfc: '5118 §4.4', kind: 'valid', expect: 200, check: (m) => expect(parseVia(req(m).headers.get('via')!)?.params.get('received')).toBe('2001:db8::9:255') },
  'ipv6-in-sdp': { rfc: '5118 §4.5', kind: 'valid', expect: 100, check: (m) => expect(req(m).body.toString()).toContain('IN IP6 2001:db8::20') },
  'mult-ip-in-header': { rfc: '5118 §4.6', kind: 'valid', expect: 481, check: (m) => expect(req(m).headers.getAll('via').map((v) => parseVia(v)?.host)).toEqual(['[2001:db8::9:1]', '192.0.2.1', '[2001:db8::9:255]']) },
  'mult-ip-in-sdp': { rfc: '5118 §4.7', kind: 'valid', expect: 100 },
  'ipv4-mapped-ipv6': { rfc: '5118 §4.8', kind: 'valid', expect: 100, check: (m) => expect(parseVia(req(m).headers.get('via')!)).toMatchObject({ host: '[::ffff:192.0.2.10]', port: 19823 }) },
  'ipv6-bug-abnf-3-colons': { rfc: '5118 §4.9', kind: 'invalid', expect: 400 },
  'ipv6-correct-abnf-2-colons': { rfc: '5118 §4.10', kind: 'valid', expect: 200, check: (m) => expect(parseUri(req(m).uri)?.host).toBe('[2001:db8::192.0.2.1]') },
};

const files = [
  ...readdirSync(dir('rfc4475')).map((f) => ({ sub: 'rfc4475', file: f, name: f.replace(/\.dat$/, '') })),
  ...readdirSync(dir('rfc5118')).map((f) => ({ sub: 'rfc5118', file: f, name: f })),
];

/** What the stack does with one datagram: the final status it sends, 100 if it passed an INVITE up, or 'drop'. */
function stackOutcome(buf: Buffer): { outcome: Outcome; reason?: string } {
  const { core, responses, invites } = rig();
  core.receive(buf, { address: '192.0.2.200', port: 5060 });
  const finals = responses().filter((r) => r.msg.status >= 200);
  if (finals.length > 0) return { outcome: finals[0].msg.status, reason: finals[0].msg.reason };
  if (invites.length > 0) return { outcome: 100 };
  const any = responses()[0];
  return any ? { outcome: any.msg.status, reason: any.msg.reason } : { outcome: 'drop' };
}

const table: Array<{ message: string; rfc: string; kind: string; expected: string; parser: string; stack: string; ok: string }> = [];

describe('RFC 4475 / RFC 5118 torture messages', () => {
  it('every vector on disk has an expectation (61 messages)', () => {
    expect(files.map((f) => f.name).sort()).toEqual(Object.keys(CASES).sort());
    expect(files).toHaveLength(61);
  });

  for (const { sub, file, name } of files) {
    const c = CASES[name];
    it(`${name} (RFC ${c?.rfc}, ${c?.kind}): ${c?.expect}`, () => {
      const buf = load(sub, file);
      const parsed = parseMessage(buf);
      const { outcome, reason } = stackOutcome(buf);
      const parser = parsed.ok ? `${parsed.message.kind}` : `error ${parsed.error.code} → ${parsed.error.status}`;
      table.push({ message: name, rfc: c.rfc, kind: c.kind, expected: String(c.expect), parser, stack: `${outcome}${reason && typeof outcome === 'number' && outcome >= 400 ? ` ${reason}` : ''}`, ok: outcome === c.expect ? 'yes' : 'NO' });
      if (c.kind === 'valid') {
        expect(parsed.ok, parser).toBe(true);
        if (parsed.ok) c.check?.(parsed.message);
      }
      expect(outcome).toBe(c.expect);
    });
  }

  it('no vector, cut at any length or with bytes overwritten, makes the core throw', () => {
    const { core } = rig();
    let seed = 4475;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    let fed = 0;
    for (const { sub, file } of files) {
      const buf = load(sub, file);
      for (let cut = 0; cut <= buf.length; cut += 4) {
        core.receive(buf.subarray(0, cut), { address: '192.0.2.200', port: 5060 });
        fed++;
      }
      for (let k = 0; k < 50; k++) {
        const b = Buffer.from(buf);
        for (let e = 0; e < 1 + (k % 4); e++) b[Math.floor(rnd() * b.length)] = [0x0d, 0x0a, 0x3a, 0x3b, 0x2c, 0x3c, 0x3e, 0x22, 0x20, Math.floor(rnd() * 256)][Math.floor(rnd() * 10)];
        core.receive(b, { address: '192.0.2.200', port: 5060 });
        fed++;
      }
    }
    expect(fed).toBeGreaterThan(10_000);
  });

  afterAll(() => {
    const cols = ['message', 'rfc', 'kind', 'expected', 'parser', 'stack', 'ok'] as const;
    const width = cols.map((k) => Math.max(k.length, ...table.map((r) => r[k].length)));
    const line = (r: Record<(typeof cols)[number], string>) => cols.map((k, i) => r[k].padEnd(width[i])).join(' | ');
    console.info(['', line({ message: 'message', rfc: 'rfc', kind: 'kind', expected: 'expected', parser: 'parser', stack: 'stack', ok: 'ok' }), width.map((w) => '-'.repeat(w)).join('-+-'), ...table.map(line)].join('\n'));
  });
});

/** The top Via's sent-by rewritten to our test socket, so the answer comes back over loopback; every other byte as in the RFC. */
function viaToSelf(buf: Buffer, port: number): Buffer {
  const text = buf.toString('latin1');
  const re = /(\r\n(?:Via|v)[ \t]*:[ \t\r\n]*SIP[ \t\r\n]*\/[ \t\r\n]*\d+\.\d+[ \t\r\n]*\/[ \t\r\n]*[A-Za-z-]+[ \t\r\n]+)([^;\s,]+)/i;
  return Buffer.from(text.replace(re, (_m, head: string) => `${head}127.0.0.1:${port}`), 'latin1');
}

describe('torture messages over the real UDP socket', () => {
  it('every request vector, its top Via pointed at a test socket, gets the answer the table expects (or none)', async () => {
    const port = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock });
    port.onInvite(() => undefined);
    const mismatches: string[] = [];
    try {
      for (const { sub, file, name } of files) {
        const c = CASES[name];
        // A socket per message: many vectors share a branch, and the sent-by (now ours) is part of the transaction key.
        const sock = createSocket('udp4');
        await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
        const got: string[] = [];
        sock.on('message', (m) => got.push(m.toString('latin1')));
        const buf = viaToSelf(load(sub, file), sock.address().port);
        await new Promise<void>((r) => sock.send(buf, port.port, '127.0.0.1', () => r()));
        const settle = Date.now() + (c.expect === 'drop' ? 150 : 1000);
        const finalOf = () => got.map((g) => Number(g.slice(8, 11))).find((st) => st >= 200) ?? (got.length ? Number(got[0].slice(8, 11)) : undefined);
        while (Date.now() < settle && (c.expect === 'drop' || finalOf() !== c.expect)) await new Promise((r) => setTimeout(r, 5));
        const outcome = finalOf() ?? 'drop';
        if (outcome !== c.expect) mismatches.push(`${name}: expected ${c.expect}, got ${outcome}`);
        sock.close();
      }
    } finally {
      await port.close();
    }
    expect(mismatches).toEqual([]);
  }, 60_000);
});

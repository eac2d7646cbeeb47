import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { isNewWork, toHasTag } from '../../../src/sip/udp-thread/lanes.js';
import { ThreadedUdpTransport } from '../../../src/sip/udp-thread/transport.js';
import { silentLogger } from '../../../src/util/log.js';

const msg = (startLine: string, ...headers: string[]) => Buffer.from(`${startLine}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1');
const common = ['Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1', 'From: <sip:a@example.com>;tag=f1', 'Call-ID: c1', 'CSeq: 1 INVITE'];

describe('inbound lanes: which SIP datagrams are work in progress', () => {
  it('responses, ACK, BYE and PRACK are in progress; CANCEL and requests without a To tag are new work', () => {
    expect(isNewWork(msg('SIP/2.0 200 OK', ...common, 'To: <sip:b@example.com>'))).toBe(false);
    expect(isNewWork(msg('SIP/2.0 100 Trying', ...common, 'To: <sip:b@example.com>'))).toBe(false);
    for (const m of ['ACK', 'BYE', 'PRACK']) expect(isNewWork(msg(`${m} sip:b@example.com SIP/2.0`, ...common, 'To: <sip:b@example.com>'))).toBe(false);
    expect(isNewWork(msg('INVITE sip:b@example.com SIP/2.0', ...common, 'To: <sip:b@example.com>'))).toBe(true);
    expect(isNewWork(msg('OPTIONS sip:b@example.com SIP/2.0', ...common, 'To: <sip:b@example.com>'))).toBe(true);
    expect(isNewWork(msg('REGISTER sip:example.com SIP/2.0', ...common, 'To: <sip:a@example.com>'))).toBe(true);
    // A CANCEL must not overtake its INVITE, which may still be queued behind new work.
    expect(isNewWork(msg('CANCEL sip:b@example.com SIP/2.0', ...common, 'To: <sip:b@example.com>;tag=x'))).toBe(true);
    // In a dialog: a re-INVITE, a NOTIFY, an INFO.
    for (const m of ['INVITE', 'NOTIFY', 'INFO', 'UPDATE', 'REFER']) expect(isNewWork(msg(`${m} sip:b@example.com SIP/2.0`, ...common, 'To: <sip:b@example.com>;tag=t9'))).toBe(false);
  });

  it('finds the To tag in every spelling RFC 3261 allows, and nowhere else', () => {
    const has = (...h: string[]) => toHasTag(msg('INVITE sip:b@example.com SIP/2.0', ...h));
    expect(has('To: <sip:b@example.com>;tag=1')).toBe(true);
    expect(has('to:sip:b@example.com;TAG=1')).toBe(true);
    expect(has('t: <sip:b@example.com> ; tag = 1')).toBe(true);
    expect(has('TO  :  "Bob" <sip:b@example.com>;x=y;tag=1')).toBe(true);
    // Folded onto a continuation line (§7.3.1).
    expect(has('To: <sip:b@example.com>', ' ;tag=1')).toBe(true);
    // No tag: a tag inside the URI, the display name, another header, the body.
    expect(has('To: <sip:b@example.com;tag=1>')).toBe(false);
    expect(has('To: "x;tag=1" <sip:b@example.com>')).toBe(false);
    expect(has('To: "q\\";tag=1" <sip:b@example.com>')).toBe(false);
    expect(has('Timestamp: 1;tag=2', 'To: <sip:b@example.com>', 'From: <sip:a@example.com>;tag=f')).toBe(false);
    expect(has('To: <sip:b@example.com>;tagx=1')).toBe(false);
    expect(toHasTag(Buffer.from('INVITE sip:b SIP/2.0\r\nTo: <sip:b>\r\n\r\nTo: x;tag=1\r\n', 'latin1'))).toBe(false);
  });

  it('never throws and treats what it cannot read as new work', () => {
    const junk = [Buffer.alloc(0), Buffer.from('SIP'), Buffer.from('To:;'), Buffer.from('X\nt:;tag'), Buffer.from('X\nt:;tag='), Buffer.from('X\nTo: "unterminated;tag=1')];
    for (const b of junk) expect(() => isNewWork(b)).not.toThrow();
    expect(isNewWork(Buffer.from([0xff, 0x00, 0x13]))).toBe(true);
    expect(isNewWork(Buffer.from('X\nt:;tag='))).toBe(false);
    for (let n = 0; n < 2000; n++) {
      const b = Buffer.from(Array.from({ length: 1 + (n % 97) }, (_, i) => ((n * 31 + i * 17) % 7 === 0 ? 0x3b : (n * 13 + i * 7) & 0xff)));
      expect(typeof isNewWork(b)).toBe('boolean');
    }
  });
});

describe('inbound lanes on the SIP UDP I/O thread', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  it('hands the main thread work in progress before the new INVITEs that arrived ahead of it, each lane in order', async () => {
    const t = await ThreadedUdpTransport.open({ address: '127.0.0.1', port: 0, logger: silentLogger });
    open.push(t);
    const seen: string[] = [];
    t.onMessage((buf) => seen.push(/^(\S+ \S+|SIP\/2\.0 \d+)/.exec(buf.toString('latin1'))![1] + ' #' + /CSeq: (\d+)/.exec(buf.toString('latin1'))![1]));
    const datagrams: string[] = [];
    const invite = (n: number) => `INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-${n}\r\nFrom: <sip:a@example.com>;tag=f${n}\r\nTo: <sip:b@example.com>\r\nCall-ID: new-${n}\r\nCSeq: ${n} INVITE\r\nContent-Length: 0\r\n\r\n`;
    for (let n = 1; n <= 200; n++) datagrams.push(invite(n));
    datagrams.push('SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-o\r\nFrom: <sip:x>;tag=1\r\nTo: <sip:y>;tag=2\r\nCall-ID: out\r\nCSeq: 900 INVITE\r\n\r\n');
    datagrams.push('BYE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-b\r\nFrom: <sip:a>;tag=1\r\nTo: <sip:b>;tag=2\r\nCall-ID: up\r\nCSeq: 901 BYE\r\n\r\n');
    datagrams.push(invite(201).replace('To: <sip:b@example.com>', 'To: <sip:b@example.com>;tag=re').replace('CSeq: 201', 'CSeq: 902'));
    datagrams.push(invite(202));
    // The sender runs while this thread is blocked (execFileSync): everything waits in the rings.
    const script = `const s=require('dgram').createSocket('udp4');const d=JSON.parse(process.argv[1]);let i=0;const next=()=>{if(i===d.length)return setTimeout(()=>s.close(),300);s.send(Buffer.from(d[i++],'latin1'),${t.port},'127.0.0.1',next)};next();`;
    execFileSync(process.execPath, ['-e', script, JSON.stringify(datagrams)]);
    const until = Date.now() + 5000;
    while (seen.length < datagrams.length && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(seen.length).toBe(datagrams.length);
    expect(seen.slice(0, 3)).toEqual(['SIP/2.0 180 #900', 'BYE sip:b@example.com #901', 'INVITE sip:b@example.com #902']);
    expect(seen.slice(3).map((s) => Number(s.split('#')[1]))).toEqual([...Array(200).keys()].map((i) => i + 1).concat(202));
    expect(t.dropped).toBe(0);
  });
});

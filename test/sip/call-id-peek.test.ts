/** peekCallId against the stack's own parser on the RFC 4475/5118 torture messages, and on hostile bytes. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { peekCallId } from '../../src/sip/call-id-peek.js';
import { parseMessage } from '../../src/sip/parser.js';

const VECTORS = '/work/shared/vectors/sip-torture';

describe('peekCallId', () => {
  it('finds Call-ID in any case, the compact form i:, and whitespace before the colon', () => {
    expect(peekCallId(Buffer.from('INVITE sip:a@b SIP/2.0\r\nVia: x\r\nCall-ID: abc@h\r\n\r\n'))).toBe('abc@h');
    expect(peekCallId(Buffer.from('SIP/2.0 200 OK\r\nCALL-ID:\t xyz \r\n\r\n'))).toBe('xyz');
    expect(peekCallId(Buffer.from('BYE sip:a SIP/2.0\r\ni: short\r\n\r\n'))).toBe('short');
    expect(peekCallId(Buffer.from('BYE sip:a SIP/2.0\r\nCall-ID   : spaced\r\n\r\n'))).toBe('spaced');
    expect(peekCallId(Buffer.from('BYE sip:a SIP/2.0\nCall-Info: <x>\nid: nope\ncall-id: lf-only\n\n'))).toBe('lf-only');
  });

  it('looks only in the header section', () => {
    expect(peekCallId(Buffer.from('MESSAGE sip:a SIP/2.0\r\nVia: x\r\n\r\nCall-ID: in-body\r\n'))).toBeUndefined();
    expect(peekCallId(Buffer.alloc(0))).toBeUndefined();
  });

  it('agrees with the parser on every torture message the parser accepts', () => {
    let compared = 0;
    for (const dir of ['rfc4475', 'rfc5118']) {
      for (const f of readdirSync(join(VECTORS, dir)).filter((n) => n.endsWith('.dat'))) {
        const buf = readFileSync(join(VECTORS, dir, f));
        const parsed = parseMessage(buf);
        if (!parsed.ok) continue;
        const theirs = parsed.message.headers.get('call-id');
        if (theirs === undefined || /\r?\n[ \t]/.test(theirs)) continue;
        expect(peekCallId(buf), f).toBe(theirs.trim());
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('never throws on arbitrary bytes and returns at most 256 characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (bytes, prefixed) => {
        const buf = prefixed ? Buffer.concat([Buffer.from('INVITE x SIP/2.0\r\ncall-id:'), Buffer.from(bytes)]) : Buffer.from(bytes);
        const v = peekCallId(buf);
        expect(v === undefined || (typeof v === 'string' && v.length <= 256)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

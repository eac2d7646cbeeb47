/**
 * The per-leg SDP origin (RFC 3264 §8, RFC 6337 §5.1): what a party sees on its leg keeps one
 * username, session id and address, the version going up by exactly one per change, whatever
 * session the far side's SDP came from. Hostile descriptions (no o=, broken o=, several o=, huge
 * versions, not SDP at all, random text) give a value, never an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LegOrigin, parseOrigin, rewriteOrigin, type SdpOrigin } from '../../src/calls/sdp-origin.js';

const sdp = (origin: string | undefined, port: number, extra: string[] = [], eol = '\r\n') =>
  ['v=0', ...(origin === undefined ? [] : [origin]), 's=-', 'c=IN IP4 192.0.2.7', 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ...extra, ''].join(eol);

const B = sdp('o=transferor 53655765 2353687637 IN IP4 192.0.2.2', 40000);
const C = sdp('o=transfer-target 1 1 IN IP4 198.51.100.3', 42000);

/** The session-level o= lines of a description. */
const origins = (text: string) => {
  const lines = text.split(/\r\n|\n|\r/);
  const end = lines.findIndex((l) => l.startsWith('m='));
  return lines.slice(0, end < 0 ? undefined : end).filter((l) => l.startsWith('o='));
};

describe('rewriteOrigin', () => {
  it('the first description on a leg keeps its own origin, byte for byte', () => {
    const r = rewriteOrigin(B, undefined, '9');
    expect(r.ok && r.sdp).toBe(B);
    expect(r.ok && r.origin).toMatchObject({ username: 'transferor', sessionId: '53655765', version: 2353687637n, address: '192.0.2.2' });
  });

  it('another session’s description (a transfer target’s) continues the leg’s origin, version + 1; every other line is the new one', () => {
    const first = rewriteOrigin(B, undefined, '9');
    if (!first.ok) throw new Error(first.why);
    const r = rewriteOrigin(C, first.origin, '9');
    if (!r.ok) throw new Error(r.why);
    expect(r.changed).toBe(true);
    expect(r.sdp).toBe(C.replace('o=transfer-target 1 1 IN IP4 198.51.100.3', 'o=transferor 53655765 2353687638 IN IP4 192.0.2.2'));
    expect(r.sdp).toContain('m=audio 42000 RTP/AVP 0');
  });

  it('an unchanged description (a refresh, the far side sending the same SDP again) keeps the version', () => {
    const first = rewriteOrigin(B, undefined, '9');
    if (!first.ok) throw new Error(first.why);
    // Same media, another o= line: RFC 3264 §8 judges the description, not the far side's version.
    const again = rewriteOrigin(B.replace('2353687637', '2353687640'), first.origin, '9');
    expect(again.ok && again.changed).toBe(false);
    expect(again.ok && again.sdp).toBe(B);
    // Line endings alone are no change either.
    const lf = rewriteOrigin(B.replaceAll('\r\n', '\n'), first.origin, '9');
    expect(lf.ok && lf.changed).toBe(false);
  });

  it('each change on the leg is exactly one version up: hold, resume, a new far end', () => {
    const leg = new LegOrigin(() => '1');
    const versions = [B, B.replace('a=rtpmap', 'a=sendonly\r\na=rtpmap'), B, C, C, sdp('o=other 7 7 IN IP6 ::1', 44000)].map((s) => parseOrigin(origins(leg.outgoing(s))[0])!);
    expect(versions.map((v) => v.version - 2353687637n)).toEqual([0n, 1n, 2n, 3n, 3n, 4n]);
    for (const v of versions) expect(v).toMatchObject({ username: 'transferor', sessionId: '53655765', netType: 'IN', addrType: 'IP4', address: '192.0.2.2' });
  });

  it('keeps LF line endings and the position of the o= line', () => {
    const first = rewriteOrigin(B, undefined, '9');
    if (!first.ok) throw new Error(first.why);
    const r = rewriteOrigin(sdp('o=x 1 1 IN IP4 10.0.0.1', 42000, [], '\n'), first.origin, '9');
    expect(r.ok && r.sdp).toBe(sdp('o=transferor 53655765 2353687638 IN IP4 192.0.2.2', 42000, [], '\n'));
  });

  it('a description without o= gets one after v=; the first one on a leg gets a made-up origin from its c= address', () => {
    const r = rewriteOrigin(sdp(undefined, 40000), undefined, '1700000000');
    expect(r.ok && r.sdp).toBe(sdp('o=- 1700000000 1700000000 IN IP4 192.0.2.7', 40000));
    const bare = rewriteOrigin('v=0', undefined, '5');
    expect(bare.ok && bare.sdp).toBe('v=0\r\no=- 5 5 IN IP4 0.0.0.0\r\n');
  });

  it('malformed o= lines are replaced, as if absent', () => {
    for (const bad of ['o=', 'o=a 1 1 IN IP4', 'o=a 1 x IN IP4 1.2.3.4', 'o=a 1 -1 IN IP4 1.2.3.4', `o=a 1 ${'9'.repeat(21)} IN IP4 1.2.3.4`, 'o=a 1 18446744073709551616 IN IP4 1.2.3.4', 'o=a 1 1 IN IP4 1.2.3.4 extra']) {
      const r = rewriteOrigin(sdp(bad, 40000), undefined, '3');
      if (!r.ok) throw new Error(r.why);
      expect(origins(r.sdp), bad).toEqual(['o=- 3 3 IN IP4 192.0.2.7']);
    }
  });

  it('several session-level o= lines become one; a= lines in media sections are untouched', () => {
    const twice = sdp('o=a 1 1 IN IP4 1.2.3.4\r\no=b 2 2 IN IP4 5.6.7.8', 40000, ['a=label:o=not-an-origin']);
    const r = rewriteOrigin(twice, undefined, '3');
    if (!r.ok) throw new Error(r.why);
    expect(origins(r.sdp)).toEqual(['o=a 1 1 IN IP4 1.2.3.4']);
    expect(r.sdp).toContain('a=label:o=not-an-origin');
  });

  it('the largest 64-bit version stays (there is no next one)', () => {
    const max = rewriteOrigin(sdp('o=a 1 18446744073709551615 IN IP4 1.2.3.4', 40000), undefined, '3');
    if (!max.ok) throw new Error(max.why);
    const next = rewriteOrigin(C, max.origin, '3');
    expect(next.ok && origins(next.sdp)).toEqual(['o=a 1 18446744073709551615 IN IP4 1.2.3.4']);
  });

  it('what is not SDP is a value, not an exception', () => {
    for (const text of ['', '\r\n', 'hello', 'v=1\r\no=a 1 1 IN IP4 1.2.3.4', '<xml/>', '\u0000\u0001']) {
      const r = rewriteOrigin(text, undefined, '1');
      expect(r.ok, JSON.stringify(text)).toBe(false);
    }
    const leg = new LegOrigin();
    expect(leg.outgoing('not sdp')).toBe('not sdp');
    expect(leg.outgoing(undefined)).toBeUndefined();
    expect(leg.mark()).toBeUndefined();
  });

  it('a refused offer is taken back: the next change is one above the last accepted version', () => {
    const leg = new LegOrigin();
    leg.outgoing(B);
    const mark = leg.mark();
    expect(origins(leg.outgoing(C))[0]).toContain(' 2353687638 ');
    leg.restore(mark);
    expect(origins(leg.outgoing(C))[0]).toContain(' 2353687638 ');
  });

  it('hostile text (fast-check): never throws; a v=0 description always leaves with one well-formed o= line continuing the leg', () => {
    const line = fc.oneof(
      fc.constantFrom('o=a 1 1 IN IP4 1.2.3.4', 'o=', 'o= 1 2', 'm=audio 0 RTP/AVP 0', 'c=IN IP4 9.9.9.9', 'a=sendonly', 's=-', 't=0 0', ''),
      fc.string({ maxLength: 40 }),
      fc.stringMatching(/^o=\S{0,5}( \S{0,8}){0,7}$/),
    );
    const eol = fc.constantFrom('\r\n', '\n', '\r');
    const text = fc.tuple(fc.boolean(), fc.array(line, { maxLength: 12 }), eol).map(([v, ls, e]) => (v ? ['v=0', ...ls] : ls).join(e));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), (texts) => {
        let prev: SdpOrigin | undefined;
        for (const t of texts) {
          const r = rewriteOrigin(t, prev, '42');
          if (!r.ok) continue;
          const os = origins(r.sdp);
          expect(os).toHaveLength(1);
          const o = parseOrigin(os[0]);
          expect(o).toBeDefined();
          if (prev) {
            expect(o).toMatchObject({ username: prev.username, sessionId: prev.sessionId, address: prev.address });
            expect(o!.version - prev.version).toBe(r.changed ? 1n : 0n);
          }
          prev = r.origin;
        }
      }),
      { seed: 0x3264, numRuns: 2000 },
    );
  });
});

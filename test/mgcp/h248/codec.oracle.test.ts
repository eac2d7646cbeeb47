/**
 * OTP megaco's text encoders as the judge of our codec, both ways and both encodings:
 * what we write (pretty and compact) OTP decodes, and what OTP writes back from it decodes here
 * to the value we started from; messages OTP builds from its own records decode here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode } from '../../../src/mgcp/h248/codec.js';
import type { H248Decoded, Message } from '../../../src/mgcp/h248/messages.js';
import { hasErlangMegaco, MEGACO_MISSING, startMegacoOracle, type MegacoOracle } from '../../helpers/megaco-mg.js';
import { ABNF_ONLY, SAMPLES, SEGMENT_SAMPLES } from './samples.js';

if (!hasErlangMegaco()) console.warn(MEGACO_MISSING);

/**
 * What survives a trip through OTP: identifiers are case-insensitive (§B.2) and OTP writes them
 * in lower case, session descriptions come back with CRLF line ends, quoting of values is free.
 */
function canonical(m: H248Decoded): unknown {
  return JSON.parse(
    JSON.stringify(m, (k, v) => {
      if ((k === 'local' || k === 'remote') && typeof v === 'string') return v.replace(/\r?\n/g, '\n');
      return v;
    }).toLowerCase(),
  );
}

describe.skipIf(!hasErlangMegaco())('H.248 codec against OTP megaco text encoders', () => {
  let oracle: MegacoOracle;
  beforeAll(async () => {
    oracle = await startMegacoOracle();
  });
  afterAll(async () => {
    await oracle?.stop();
  });

  for (const encoding of ['pretty', 'compact'] as const) {
    for (const [name, msg] of Object.entries(SAMPLES)) {
      it(`${encoding} ${name}: OTP decodes ours, and its re-encodings decode back to the same message`, async () => {
        const ours = encode(msg, { encoding });
        const r = await oracle.decode(ours);
        if (!r.ok) throw new Error(`OTP refused our ${encoding} ${name}: ${r.reason}\n${ours.toString('latin1')}`);
        for (const theirs of [r.pretty, r.compact]) {
          const back = decode(theirs);
          if (back.type === 'error') throw new Error(`we refused OTP's ${name}: ${back.reason} at ${back.offset}\n${theirs.toString('latin1')}`);
          expect(canonical(back), theirs.toString('latin1')).toEqual(canonical(msg));
        }
      });
    }
  }

  for (const encoding of ['pretty', 'compact'] as const) {
    for (const [name, msg] of Object.entries(SEGMENT_SAMPLES)) {
      it(`v3 segmentation ${encoding} ${name}: OTP decodes ours and writes it back the same`, async () => {
        const ours = encode(msg, { encoding });
        const r = await oracle.decode(ours);
        if (!r.ok) throw new Error(`OTP refused our ${encoding} ${name}: ${r.reason}\n${ours.toString('latin1')}`);
        for (const theirs of [r.pretty, r.compact]) expect(decode(theirs), theirs.toString('latin1')).toEqual(msg);
      });
    }
  }

  it('v3 segments and SegmentReplies OTP builds decode here, both encodings', async () => {
    const byName = Object.fromEntries((await oracle.samples()).map((s) => [s.name, s]));
    const expected: Record<string, unknown> = {
      segment_1: { type: 'reply', id: 4711, segment: { number: 1 } },
      segment_2_end: { type: 'reply', id: 4711, segment: { number: 2, complete: true } },
      segment_error_end: { type: 'reply', id: 4712, segment: { number: 3, complete: true }, error: { code: 500 } },
      segment_reply: { type: 'segmentReply', id: 4711, segment: { number: 1 } },
      segment_reply_end: { type: 'segmentReply', id: 4711, segment: { number: 2, complete: true } },
    };
    for (const [name, tr] of Object.entries(expected)) {
      for (const bytes of [byName[name].pretty, byName[name].compact]) {
        const d = decode(bytes);
        if (d.type === 'error') throw new Error(`${name}: ${d.reason}\n${bytes.toString('latin1')}`);
        expect(d.version, name).toBe(3);
        expect(d.transactions[0], `${name}\n${bytes.toString('latin1')}`).toMatchObject(tr as object);
      }
    }
  });

  it('messages OTP builds from its records decode here, pretty and compact to the same value', async () => {
    const samples = await oracle.samples();
    expect(samples.length).toBeGreaterThanOrEqual(11);
    for (const s of samples) {
      const p = decode(s.pretty);
      const c = decode(s.compact);
      if (p.type === 'error') throw new Error(`${s.name} pretty: ${p.reason} at ${p.offset}\n${s.pretty.toString('latin1')}`);
      if (c.type === 'error') throw new Error(`${s.name} compact: ${c.reason} at ${c.offset}\n${s.compact.toString('latin1')}`);
      expect(canonical(c), s.name).toEqual(canonical(p));
      // And our own encoding of what we read is accepted by OTP again.
      for (const encoding of ['pretty', 'compact'] as const) {
        const again = await oracle.decode(encode(p as Message, { encoding }));
        expect(again.ok, `${s.name} ${encoding}: ${again.ok ? '' : again.reason}`).toBe(true);
      }
    }
    const byName = Object.fromEntries(samples.map((s) => [s.name, decode(s.compact) as Message]));
    const sc = byName.service_change.transactions[0];
    expect(sc).toMatchObject({ type: 'request', id: 9998 });
    expect(sc.type === 'request' && sc.actions[0].commands[0]).toMatchObject({
      command: 'serviceChange',
      params: { method: 'restart', reason: '901 Cold Boot', delay: 15, version: 1, profile: { name: 'resgw', version: 1 }, timestamp: '20240102T10111213' },
    });
    const add = byName.add_reply.transactions[0];
    expect(add).toMatchObject({ type: 'reply', id: 10003, immAckRequired: true });
    const rtp = add.type === 'reply' ? add.actions[0].replies[1] : undefined;
    expect(rtp).toMatchObject({ command: 'add', terminationId: 'rtp/00056' });
    const media = rtp && 'audit' in rtp ? rtp.audit?.[0] : undefined;
    expect(media?.type === 'media' && media.streams[0].local?.split(/\r?\n/)).toEqual(['v=0', 'c=IN IP4 124.124.124.222', 'm=audio 2222 RTP/AVP 4']);
    const n = byName.notify.transactions[0];
    expect(n.type === 'request' && n.actions[0].commands[0]).toMatchObject({
      command: 'notify',
      terminationId: 'user/11111',
      observedEvents: { requestId: 2223, events: [{ timestamp: '19990729T22010001', name: 'dd/ce' }] },
    });
    expect(byName.pending_ack.transactions).toEqual([
      { type: 'pending', id: 10005 },
      { type: 'ack', ranges: [{ first: 3 }, { first: 7, last: 9 }] },
    ]);
    expect(byName.message_error.error).toEqual({ type: 'error', code: 400, text: 'Syntax error in message' });
    const mod = byName.modify.transactions[0];
    const cmd = mod.type === 'request' ? mod.actions[0].commands[0] : undefined;
    expect(cmd && cmd.command === 'modify' && cmd.descriptors.map((d) => d.type)).toEqual(['media', 'events', 'signals', 'digitMap']);
  });

  it('OTP 25 v1 refuses some ABNF-valid forms (empty Signals, bare Events before another descriptor, ContextAudit): we read and write them', async () => {
    for (const [name, msg] of Object.entries(ABNF_ONLY)) {
      for (const encoding of ['pretty', 'compact'] as const) {
        const bytes = encode(msg, { encoding });
        expect(decode(bytes), name).toEqual(msg);
        // If this starts passing, OTP learnt the forms and they can join SAMPLES.
        expect((await oracle.decode(bytes)).ok, `${encoding} ${name}`).toBe(false);
      }
    }
  });

  it('OTP refuses what our decoder refuses (a sample of broken messages)', async () => {
    const broken = [
      'MEGACO/1 [1.2.3.4]:5\nTransaction = 1 { }',
      'MEGACO/1 [1.2.3.4]:5\nTransaction = 1 { Context = 1 { Add } }',
      'MEGACO/1 [1.2.3.4]:5\nReply = 1 { Context = 1 { Add = a { Media { Stream = 1 { Local { v=0 } } }',
      'MEGACO/1 [1.2.3.4]:5 Transaction = x { Context = 1 { Add = a } }',
    ];
    for (const b of broken) {
      expect(decode(b).type, b).toBe('error');
      expect((await oracle.decode(Buffer.from(b, 'latin1'))).ok, b).toBe(false);
    }
  });
});

/**
 * H.248.1 v3 segmentation against the real Erlang/OTP megaco MG (ssw_mg v3seg): it registers
 * in version 3, and its reply to a four-action AuditValue transaction is larger than its
 * max_pdu_size, so OTP sends it in segments, one at a time (segment_send 1: the next segment only
 * after our SegmentReply for the previous one). The controller, configured to agree version 3
 * with this gateway, must acknowledge each segment and deliver the whole reply. Both text encodings.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '../../../src/mgcp/h248/codec.js';
import { H248Controller } from '../../../src/mgcp/h248/controller.js';
import type { Message } from '../../../src/mgcp/h248/messages.js';
import { h248Metrics } from '../../../src/mgcp/h248/metrics.js';
import { openUdpTransport, type H248Transport } from '../../../src/mgcp/h248/transport.js';
import { hasErlangMegaco, MEGACO_MISSING, startMegacoMg, type MegacoMg } from '../../helpers/megaco-mg.js';

if (!hasErlangMegaco()) console.warn(MEGACO_MISSING);

/** The controller's UDP transport, keeping every message both ways. */
async function recording(fromMg: Message[], toMg: Message[]): Promise<H248Transport> {
  const t = await openUdpTransport(0, '127.0.0.1');
  const keep = (into: Message[], bytes: Buffer): void => {
    const d = decode(bytes);
    if (d.type === 'message') into.push(d);
  };
  return {
    get local() {
      return t.local;
    },
    send(bytes, to) {
      keep(toMg, bytes);
      t.send(bytes, to);
    },
    onDatagram(h) {
      t.onDatagram((bytes, from) => {
        keep(fromMg, bytes);
        h(bytes, from);
      });
    },
    close: () => t.close(),
  };
}

describe.skipIf(!hasErlangMegaco())('H.248 v3 segmented replies from the OTP megaco MG through the controller', () => {
  let mg: MegacoMg | undefined;
  let controller: H248Controller | undefined;
  afterEach(async () => {
    await controller?.close();
    await mg?.stop();
    mg = controller = undefined;
  });

  for (const encoding of ['pretty', 'compact'] as const) {
    it(`${encoding}: the MG segments a four-action AuditValue reply; each segment is acknowledged and the reply arrives whole`, async () => {
      const fromMg: Message[] = [];
      const toMg: Message[] = [];
      const metrics = h248Metrics(new Registry());
      const c = new H248Controller(await recording(fromMg, toMg), [{ name: 'mg1', mid: { kind: 'domain', name: 'mg1' }, maxVersion: 3 }], {
        mid: { kind: 'domain', name: 'mgc.test', port: 2944 },
        encoding,
        metrics,
        inactivityAuditMs: 0,
      });
      controller = c;
      mg = await startMegacoMg({ mgcPort: c.local.port, encoding, segmentation: true });
      const seg = await mg.waitFor('segmentation', () => true, 30_000);
      expect(seg.fields).toMatchObject({ version: '3', max_pdu_size: '200', segment_send: '1' });
      expect(c.status('mg1'), mg.output()).toMatchObject({ state: 'registered', version: 3 });

      const audit = { command: 'auditValue' as const, terminationId: 'ROOT', audit: ['packages' as const] };
      const reply = await c.request('mg1', [1, 2, 3, 4].map(() => ({ contextId: '-' as const, commands: [audit] })));

      expect(reply.error).toBeUndefined();
      expect(reply.actions).toHaveLength(4);
      // Termination ids are case-insensitive (§B.2); OTP writes them in lower case.
      for (const a of reply.actions) expect(a.replies[0]).toMatchObject({ command: 'auditValue', terminationId: 'root' });
      for (const a of reply.actions) expect(JSON.stringify(a.replies[0])).toContain('"packages"');
      const segments = fromMg.flatMap((m) => m.transactions.flatMap((t) => (t.type === 'reply' && t.id === reply.id && t.segment ? [{ v: m.version, segment: t.segment }] : [])));
      expect(segments.length, mg.output()).toBeGreaterThanOrEqual(2);
      expect(segments.every((x) => x.v === 3)).toBe(true);
      expect(segments.at(-1)?.segment.complete).toBe(true);
      const numbers = [...new Set(segments.map((x) => x.segment.number))].sort((a, b) => a - b);
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      // Every segment got its SegmentReply (with one segment outstanding, the MG sent segment n+1
      // only after ours for n), in version 3, the last one marked END.
      const acks = toMg.flatMap((m) => m.transactions.flatMap((t) => (t.type === 'segmentReply' && t.id === reply.id ? [{ v: m.version, segment: t.segment }] : [])));
      expect([...new Set(acks.map((a) => a.segment.number))].sort((a, b) => a - b)).toEqual(numbers);
      expect(acks.every((a) => a.v === 3)).toBe(true);
      expect(acks.find((a) => a.segment.number === numbers.at(-1))?.segment.complete).toBe(true);
      // What we send this gateway after the agreement is version 3 too.
      expect(toMg.filter((m) => m.transactions.some((t) => t.type === 'request')).every((m) => m.version === 3)).toBe(true);
      expect((await metrics.segments.get()).values.find((v) => v.labels.outcome === 'new')?.value).toBe(numbers.length);
      await mg.waitFor('audit_value', () => mg!.events.filter((e) => e.name === 'audit_value').length >= 4, 10_000);
    }, 60_000);
  }
});

/**
 * H.248.1 v3 segmentation against the real Erlang/OTP megaco MG (ssw_mg v3seg): it registers
 * in version 3, and its reply to a four-action AuditValue transaction is larger than its
 * max_pdu_size, so OTP sends it in segments, one at a time (segment_send 1: the next segment only
 * after our SegmentReply for the previous one). Our transaction layer must acknowledge each and
 * deliver the whole reply. Both text encodings.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '../../../src/mgcp/h248/codec.js';
import type { Message, Mid } from '../../../src/mgcp/h248/messages.js';
import { h248Metrics } from '../../../src/mgcp/h248/metrics.js';
import { TransactionLayer } from '../../../src/mgcp/h248/transaction-layer.js';
import type { Peer } from '../../../src/mgcp/h248/transport.js';
import { hasErlangMegaco, MEGACO_MISSING, startMegacoMg, type MegacoMg } from '../../helpers/megaco-mg.js';

if (!hasErlangMegaco()) console.warn(MEGACO_MISSING);

const MGC_MID: Mid = { kind: 'domain', name: 'mgc.test', port: 2944 };

describe.skipIf(!hasErlangMegaco())('H.248 v3 segmented replies from the OTP megaco MG', () => {
  let mg: MegacoMg | undefined;
  let sock: Socket | undefined;
  let layer: TransactionLayer | undefined;
  afterEach(async () => {
    layer?.close();
    await mg?.stop();
    sock?.close();
    mg = sock = layer = undefined;
  });

  for (const encoding of ['pretty', 'compact'] as const) {
    it(`${encoding}: the MG segments a four-action AuditValue reply; each segment is acknowledged and the reply arrives whole`, async () => {
      const s = createSocket('udp4');
      sock = s;
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      const port = s.address().port;
      const fromMg: Message[] = [];
      const toMg: Message[] = [];
      const metrics = h248Metrics(new Registry());
      let mgPeer: Peer | undefined;
      const l = new TransactionLayer({
        mid: MGC_MID,
        version: 3,
        encoding,
        metrics,
        segmentTimerMs: 5000,
        send: (bytes, to) => {
          const d = decode(bytes);
          if (d.type === 'message') toMg.push(d);
          s.send(bytes, to.port, to.address);
        },
        onRequest: ({ request, from }) => {
          // Registration: accept the MG's ServiceChange in version 3.
          mgPeer = from;
          return {
            actions: request.actions.map((a) => ({
              contextId: a.contextId,
              replies: a.commands.map((c) => ({ command: 'serviceChange' as const, terminationId: c.terminationId, params: { version: 3 } })),
            })),
          };
        },
      });
      layer = l;
      s.on('message', (buf, rinfo) => {
        const d = decode(buf);
        if (d.type === 'message') fromMg.push(d);
        l.receive(buf, { address: rinfo.address, port: rinfo.port });
      });
      mg = await startMegacoMg({ mgcPort: port, encoding, segmentation: true });
      const seg = await mg.waitFor('segmentation', () => true, 30_000);
      expect(seg.fields).toMatchObject({ version: '3', max_pdu_size: '200', segment_send: '1' });
      expect(mgPeer, mg.output()).toBeDefined();

      const audit = { command: 'auditValue' as const, terminationId: 'ROOT', audit: ['packages' as const] };
      const reply = await l.request(mgPeer as Peer, [1, 2, 3, 4].map(() => ({ contextId: '-' as const, commands: [audit] })));

      expect(reply.error).toBeUndefined();
      expect(reply.actions).toHaveLength(4);
      // Termination ids are case-insensitive (§B.2); OTP writes them in lower case.
      for (const a of reply.actions) expect(a.replies[0]).toMatchObject({ command: 'auditValue', terminationId: 'root' });
      for (const a of reply.actions) expect(JSON.stringify(a.replies[0])).toContain('"packages"');
      const segments = fromMg.flatMap((m) => m.transactions.filter((t) => t.type === 'reply' && t.id === reply.id && t.segment).map((t) => ({ v: m.version, t })));
      expect(segments.length, mg.output()).toBeGreaterThanOrEqual(2);
      expect(segments.every((x) => x.v === 3)).toBe(true);
      const last = segments.at(-1)!.t;
      expect(last.type === 'reply' && last.segment?.complete).toBe(true);
      const acks = toMg.flatMap((m) => m.transactions.filter((t) => t.type === 'segmentReply' && t.id === reply.id));
      const numbers = [...new Set(segments.map((x) => (x.t.type === 'reply' ? x.t.segment!.number : 0)))].sort((a, b) => a - b);
      // Every segment got its SegmentReply; with one segment outstanding, the MG sent segment n+1 only after ours for n.
      expect([...new Set(acks.map((t) => (t.type === 'segmentReply' ? t.segment.number : 0)))].sort((a, b) => a - b)).toEqual(numbers);
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      // Four audits answered by the MG.
      await mg.waitFor('audit_value', () => mg!.events.filter((e) => e.name === 'audit_value').length >= 4, 10_000);
    }, 60_000);
  }
});

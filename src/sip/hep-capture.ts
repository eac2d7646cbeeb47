/**
 * The call trail's SIP when drachtio-server carries it: drachtio-server sends a HEP3 copy of
 * every SIP message it receives or sends (`--homer ADDRESS:PORT --homer-id N`, or
 * `<capture-server>` in its configuration) to this UDP listener, which hands each one to the
 * message tap keyed by its Call-ID, like the embedded stack does with its own datagrams. A message
 * whose source is one of drachtio-server's SIP addresses was sent by the switch ('out'), any
 * other was received ('in'). Datagrams from anywhere but the configured drachtio host are
 * dropped and counted; undecodable ones too.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../util/log.js';
import { tapKey, type MessageTap, type TapAddress } from '../util/message-tap.js';
import { perRegistry } from '../util/metrics.js';
import { peekCallId } from './call-id-peek.js';
import { decodeHep, HEP_PAYLOAD_SIP } from './hep.js';

export const hepCaptureMetrics = perRegistry(
  (registry: Registry) =>
    new Counter({
      name: 'softswitch_sip_capture_packets_total',
      help: 'HEP3 SIP captures received from drachtio-server, by outcome (tapped, no_call_id, not_sip, invalid, foreign_source)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
);

export interface HepCaptureOptions {
  address: string;
  /** 0: any free port (see `port` on the result). */
  port: number;
  /** Only captures from this address are taken (drachtio-server's host). */
  allowFrom: string;
  tap: MessageTap;
  /** drachtio-server's own SIP addresses, as known now (messages from them were sent by the switch). */
  sipAddresses(): readonly TapAddress[];
  registry: Registry;
  log: Logger;
}

export interface HepCapture {
  readonly port: number;
  close(): Promise<void>;
}

const sameAddress = (a: TapAddress, b: TapAddress): boolean =>
  a.port === b.port && (a.address === b.address || a.address === '0.0.0.0' || b.address === '0.0.0.0');

export async function openHepCapture(opts: HepCaptureOptions): Promise<HepCapture> {
  const counted = hepCaptureMetrics(opts.registry);
  const socket: Socket = createSocket('udp4');
  let warnedInvalid = 0;
  socket.on('message', (buf, rinfo) => {
    if (rinfo.address !== opts.allowFrom) {
      counted.inc({ outcome: 'foreign_source' });
      return;
    }
    const d = decodeHep(buf);
    if (!d.ok) {
      counted.inc({ outcome: 'invalid' });
      // One line a minute at most: a misconfigured agent must not flood the log.
      const now = Date.now();
      if (now - warnedInvalid > 60_000) {
        warnedInvalid = now;
        opts.log.warn({ from: rinfo.address, reason: d.reason }, 'HEP capture undecodable; check drachtio-server --homer (HEP version 3)');
      }
      return;
    }
    const p = d.packet;
    if (p.payloadType !== HEP_PAYLOAD_SIP) {
      counted.inc({ outcome: 'not_sip' });
      return;
    }
    const callId = peekCallId(p.payload);
    if (callId === undefined) {
      counted.inc({ outcome: 'no_call_id' });
      return;
    }
    counted.inc({ outcome: 'tapped' });
    const sent = opts.sipAddresses().some((a) => sameAddress(a, p.src));
    opts.tap({
      key: tapKey.sip(callId),
      protocol: 'sip',
      dir: sent ? 'out' : 'in',
      bytes: Buffer.from(p.payload),
      local: sent ? p.src : p.dst,
      remote: sent ? p.dst : p.src,
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port, opts.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) => opts.log.warn({ err }, 'HEP capture socket error'));
  return {
    port: socket.address().port,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

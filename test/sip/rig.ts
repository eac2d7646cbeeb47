/** A UA core on a VirtualClock whose datagrams are parsed back and recorded. */
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { UaCore, type UaCoreOptions } from '../../src/sip/ua-core.js';
import { parseMessage } from '../../src/sip/parser.js';
import type { Endpoint, SipMessage, SipRequest, SipResponse } from '../../src/sip/message.js';
import type { IncomingInvite } from '../../src/sip/incoming-invite.js';

/** Where rigs count unless given a registry (one per test file: vitest loads modules per file). */
export const rigRegistry = new Registry();

export function rig(extra: Partial<UaCoreOptions> = {}) {
  const clock = new VirtualClock();
  const out: Array<{ at: number; to: Endpoint; msg: SipMessage; raw: Buffer }> = [];
  const core = new UaCore({
    clock,
    logger: silentLogger,
    local: { host: '198.51.100.1', port: 5099 },
    registry: rigRegistry,
    send: (buf, to) => {
      const r = parseMessage(buf);
      if (!r.ok) throw new Error(`core sent unparseable bytes: ${r.error.code}`);
      out.push({ at: clock.now(), to, msg: r.message, raw: buf });
    },
    ...extra,
  });
  const invites: IncomingInvite[] = [];
  core.onInvite((inv) => invites.push(inv));
  const responses = () => out.filter((o): o is { at: number; to: Endpoint; msg: SipResponse; raw: Buffer } => o.msg.kind === 'response');
  const requests = () => out.filter((o): o is { at: number; to: Endpoint; msg: SipRequest; raw: Buffer } => o.msg.kind === 'request');
  return { clock, out, core, invites, responses, requests };
}

/**
 * A call's trail as operators read it (admin API, console ladder): each message with a one-line
 * label (SIP method or status with its CSeq method, ISUP message type and CIC, MGCP verb or
 * response code with the verb it answers, H.248 commands and their replies), where it went, and its content (SIP/MGCP text, ISUP
 * hex). Works from the raw bytes; never throws.
 */
import { MessageCode } from '../ss7/isup/constants.js';
import { h248Label } from '../mgcp/h248/label.js';
import type { TapAddress, TapProtocol } from '../util/message-tap.js';
import type { TrailEvent } from './call-trail.js';
import type { PathResolver } from './trail-pcap.js';

export interface TrailEntry {
  seq: number;
  /** ISO time. */
  time: string;
  protocol: TapProtocol;
  dir: 'in' | 'out';
  /** The switch's address and the peer's ("address:port"), when known. */
  local?: string;
  remote?: string;
  label: string;
  /** SIP and MGCP: the message text. */
  text?: string;
  /** ISUP: the message bytes in hex (CIC onwards). */
  hex?: string;
  cic?: number;
}

const ISUP_NAMES = new Map<number, string>(Object.entries(MessageCode).map(([name, code]) => [code, name]));
const MAX_TEXT = 8192;

const where = (a: TapAddress | undefined): string | undefined => (a ? `${a.address}:${a.port}` : undefined);

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
}

function sipLabel(text: string): string {
  const line = firstLine(text);
  const status = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(line);
  if (!status) return line.split(' ')[0] || '(empty)';
  const cseq = /\n(?:cseq)[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)/i.exec(text);
  return `${status[1]} ${status[2]}${cseq ? ` (${cseq[1].toUpperCase()})` : ''}`.trim();
}

function cicOfKey(key: string): number | undefined {
  const slash = key.lastIndexOf('/');
  const n = Number(key.slice(slash + 1));
  return Number.isInteger(n) ? n : undefined;
}

export function trailEntries(events: readonly TrailEvent[], resolve: PathResolver = () => undefined): TrailEntry[] {
  const verbs = new Map<string, string>();
  return events.map((ev) => {
    const m = ev.msg;
    const path = m.local && m.remote ? { local: m.local, remote: m.remote } : resolve(m);
    const base = { seq: ev.seq, time: new Date(ev.t).toISOString(), protocol: m.protocol, dir: m.dir, local: where(path?.local), remote: where(path?.remote) };
    if (m.protocol === 'isup') {
      const type = m.bytes.length > 2 ? m.bytes[2] : -1;
      const cic = cicOfKey(m.key);
      const name = ISUP_NAMES.get(type) ?? `type 0x${type.toString(16)}`;
      return { ...base, label: name, cic, hex: m.bytes.toString('hex') };
    }
    const text = m.bytes.toString('utf8', 0, Math.min(m.bytes.length, MAX_TEXT));
    if (m.protocol === 'sip') return { ...base, label: sipLabel(text), text };
    if (m.protocol === 'megaco') return { ...base, label: h248Label(m.bytes), text };
    // MGCP: remember each command's verb by transaction id so its response says what it answers.
    const [word, txid] = firstLine(text).split(/[ \t]+/);
    let label = word ?? '';
    if (/^[A-Za-z]{4}$/.test(label)) {
      label = label.toUpperCase();
      if (txid) verbs.set(txid, label);
    } else if (txid && verbs.has(txid)) label = `${label} (${verbs.get(txid)})`;
    return { ...base, label, text };
  });
}

/**
 * One origin per SIP leg. The switch is a B2BUA: each leg is one SDP session between the switch
 * and that leg's party, whatever the far side of the call sends. RFC 3264 §8 (and RFC 6337 §5.1)
 * holds the offerer and answerer to one o= line per session: username, session id and address stay,
 * and the version goes up by exactly one when the description changes (and stays when it does not).
 * After a transfer, hold or codec change the far side's SDP is a different session (another phone's
 * o= line), so every SDP the switch sends on a leg has its origin rewritten to continue the leg's.
 *
 * `rewriteOrigin` is the pure rule over text from peers (hostile input: a missing, malformed or
 * repeated o= line is a value, never an exception); `LegOrigin` holds one leg's state.
 */

/** RFC 4566 §5.2 origin fields as sent on a leg, and the rest of the description it was sent with. */
export interface SdpOrigin {
  username: string;
  sessionId: string;
  /** sess-version: a 64-bit number in decimal (RFC 3264 §5), kept as a bigint. */
  version: bigint;
  netType: string;
  addrType: string;
  address: string;
  /** The description without its o= line, lines joined by LF: what "changed" is judged on. */
  body: string;
}

export type OriginRewrite =
  | { ok: true; sdp: string; origin: SdpOrigin; changed: boolean }
  /** Not a session description (no v= first line): send it as it is. */
  | { ok: false; why: string };

/** Longest sess-version accepted from a peer: a 64-bit number has at most 20 digits. */
const MAX_VERSION_DIGITS = 20;
const MAX_VERSION = (1n << 64n) - 1n;

const ORIGIN = /^o=(\S+)[ \t]+(\S+)[ \t]+(\d{1,20})[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)[ \t]*$/;
const CONNECTION = /^c=(\S+)[ \t]+(\S+)[ \t]+([^\s/]+)/;

interface Parsed {
  /** Lines and the separators after them, as received. */
  lines: string[];
  seps: string[];
  /** Index of the first session-level o= line, or -1. */
  originAt: number;
}

function split(sdp: string): Parsed | undefined {
  const parts = sdp.split(/(\r\n|\n|\r)/);
  const lines: string[] = [];
  const seps: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    lines.push(parts[i]);
    seps.push(parts[i + 1] ?? '');
  }
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0 || !/^v=\s*0\s*$/.test(lines[first])) return undefined;
  let originAt = -1;
  for (let i = first + 1; i < lines.length; i++) {
    if (lines[i].startsWith('m=')) break;
    if (lines[i].startsWith('o=')) {
      originAt = i;
      break;
    }
  }
  return { lines, seps, originAt };
}

/** The description without any session-level o= line, line endings normalized, trailing blank lines dropped. */
function bodyOf(p: Parsed): string {
  const kept: string[] = [];
  let session = true;
  for (const l of p.lines) {
    if (l.startsWith('m=')) session = false;
    if (session && l.startsWith('o=')) continue;
    kept.push(l.trimEnd());
  }
  while (kept.length && kept[kept.length - 1] === '') kept.pop();
  return kept.join('\n');
}

/** An o= line's fields, or undefined when it is not a well-formed RFC 4566 §5.2 origin. */
export function parseOrigin(line: string): Omit<SdpOrigin, 'body'> | undefined {
  const m = ORIGIN.exec(line);
  if (!m || m[3].length > MAX_VERSION_DIGITS) return undefined;
  const version = BigInt(m[3]);
  if (version > MAX_VERSION) return undefined;
  return { username: m[1], sessionId: m[2], version, netType: m[4], addrType: m[5], address: m[6] };
}

const originLine = (o: Omit<SdpOrigin, 'body'>) => `o=${o.username} ${o.sessionId} ${o.version} ${o.netType} ${o.addrType} ${o.address}`;

/**
 * `sdp` as the next description on a leg whose last one had `previous` (undefined: the first on the
 * leg). The first keeps its own origin when it has a well-formed one; otherwise the leg's origin is
 * made up: username "-", session id and version `freshSessionId`, the session's c= address. Later
 * ones carry the leg's username, session id and address, with the version one higher when anything
 * else differs from the previous description, the same when nothing does (RFC 3264 §8). Every other
 * line and every line ending is left as it came; repeated session-level o= lines are dropped.
 */
export function rewriteOrigin(sdp: string, previous: SdpOrigin | undefined, freshSessionId: string): OriginRewrite {
  const p = split(sdp);
  if (!p) return { ok: false, why: 'not a session description (the first line is not v=0)' };
  const body = bodyOf(p);
  const own = p.originAt >= 0 ? parseOrigin(p.lines[p.originAt]) : undefined;
  let fields: Omit<SdpOrigin, 'body'>;
  let changed = true;
  if (previous) {
    changed = previous.body !== body;
    // Past 2^64-1 a version cannot go up; RFC 3264 §8 leaves no room, so it stays (a peer may then miss a change).
    const version = changed && previous.version < MAX_VERSION ? previous.version + 1n : previous.version;
    fields = { username: previous.username, sessionId: previous.sessionId, version, netType: previous.netType, addrType: previous.addrType, address: previous.address };
  } else if (own) {
    fields = own;
  } else {
    const id = /^\d{1,20}$/.test(freshSessionId) ? freshSessionId : '0';
    const c = p.lines.map((l) => CONNECTION.exec(l)).find((m) => m);
    fields = { username: '-', sessionId: id, version: BigInt(id) > MAX_VERSION ? 0n : BigInt(id), netType: c?.[1] ?? 'IN', addrType: c?.[2] ?? 'IP4', address: c?.[3] ?? '0.0.0.0' };
  }
  const line = originLine(fields);
  const lines = [...p.lines];
  const seps = [...p.seps];
  if (p.originAt >= 0) {
    lines[p.originAt] = line;
    // Further session-level o= lines (invalid per RFC 4566 §5) go: the leg has one origin.
    const firstMedia = lines.findIndex((l, j) => j > p.originAt && l.startsWith('m='));
    const end = firstMedia < 0 ? lines.length : firstMedia;
    for (let i = end - 1; i > p.originAt; i--) {
      if (lines[i].startsWith('o=')) {
        lines.splice(i, 1);
        seps.splice(i, 1);
      }
    }
  } else {
    // RFC 4566 §5: o= follows v=.
    const v = lines.findIndex((l) => l.trim() !== '');
    lines.splice(v + 1, 0, line);
    seps.splice(v + 1, 0, seps[v] || '\r\n');
    if (!seps[v]) seps[v] = '\r\n';
  }
  let out = '';
  for (let i = 0; i < lines.length; i++) out += lines[i] + seps[i];
  return { ok: true, sdp: out, origin: { ...fields, body }, changed };
}

/**
 * One leg's origin: every SDP the switch sends on the leg goes through `outgoing`. An offer the party
 * refuses leaves the session as it was (RFC 3261 §14.1), so the caller may `restore` the mark taken
 * before it, and the next change is again one above the last accepted version.
 */
export class LegOrigin {
  private origin?: SdpOrigin;

  constructor(private readonly freshSessionId: () => string = () => String(Date.now())) {}

  outgoing(sdp: string): string;
  outgoing(sdp: string | undefined): string | undefined;
  outgoing(sdp: string | undefined): string | undefined {
    if (!sdp) return sdp;
    const r = rewriteOrigin(sdp, this.origin, this.origin ? '0' : this.freshSessionId());
    if (!r.ok) return sdp;
    this.origin = r.origin;
    return r.sdp;
  }

  /** The leg's origin as it stands (for `restore`, and for tests and logs). */
  mark(): SdpOrigin | undefined {
    return this.origin;
  }

  restore(mark: SdpOrigin | undefined): void {
    this.origin = mark;
  }
}

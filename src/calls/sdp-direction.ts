/**
 * Media direction in offers and answers (RFC 3264 §5.1, §6.1; hold and resume per RFC 6337 §5):
 * what a party's SDP asks for, the direction an answer must mirror, the mode a gateway connection
 * facing that party takes, and the answer written from the gateway's SDP. Parsing and writing go
 * through sdp-transform; input is a peer's text, so a parse failure is a value, not an exception.
 */
import { parse, write, type SessionDescription } from 'sdp-transform';
import type { ConnectionMode } from '../mgcp/bearer-port.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

function parsed(sdp: string): SessionDescription | undefined {
  try {
    const s = parse(sdp);
    return s && Array.isArray(s.media) ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The direction the party writing `sdp` asks for on its first audio stream: the media-level
 * attribute, else the session-level one, else sendrecv (RFC 3264 §5.1). A connection address of
 * 0.0.0.0 without an attribute is the old hold of RFC 2543 (RFC 3264 §8.4): nothing is to be sent to it.
 */
export function directionOf(sdp: string): Direction {
  const s = parsed(sdp);
  if (!s) return 'sendrecv';
  const m = s.media.find((x) => x.type === 'audio') ?? s.media[0];
  const dir = m?.direction ?? s.direction;
  if (dir) return dir;
  const c = m?.connection?.ip ?? s.connection?.ip;
  return c === '0.0.0.0' ? 'sendonly' : 'sendrecv';
}

/** RFC 3264 §6.1: the answer's direction for an offer's. */
export function mirror(d: Direction): Direction {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

/**
 * The mode of the gateway connection whose far end is the party that offered `d`: the gateway
 * sends toward the party only when the party receives, and takes the party's RTP only when it
 * sends (RFC 3435 §3.2.2.6 modes are the gateway's view). inactive → inactive (see `fallbackMode`).
 */
export function gatewayModeFor(d: Direction): ConnectionMode {
  return mirror(d);
}

/**
 * osmo-mgw 1.10 refuses "inactive" (MGCP 517, unsupported mode). For a party that asked for
 * inactive the part that matters at the gateway is not sending to it: recvonly. What it sends
 * (nothing, it said) would still be passed on.
 */
export function fallbackMode(mode: ConnectionMode): ConnectionMode | undefined {
  return mode === 'inactive' ? 'recvonly' : undefined;
}

/**
 * An answer from the gateway's own SDP: every stream carries `direction` (no session-level one),
 * and the origin continues `previous` — the SDP last given to this party — with its version one
 * higher (RFC 3264 §8: a changed description increments the version; the session id stays).
 * Returns `gatewaySdp` untouched when it cannot be parsed.
 */
export function answerWithDirection(gatewaySdp: string, direction: Direction, previous?: string): string {
  const s = parsed(gatewaySdp);
  if (!s) return gatewaySdp;
  delete s.direction;
  for (const m of s.media) m.direction = direction;
  const prev = previous ? parsed(previous) : undefined;
  if (prev?.origin) {
    s.origin = { ...s.origin, username: prev.origin.username, sessionId: prev.origin.sessionId, sessionVersion: Number(prev.origin.sessionVersion) + 1 };
  }
  return write(s).replace(/\r?\n/g, '\r\n');
}

/**
 * Whose REFER it is. A REFER arriving inside a dialog is not, by that alone, the dialog's peer's:
 * its Referred-By (RFC 3892 §3) may name someone else, and a party that learned the dialog's
 * Call-ID and tags could send one from elsewhere. A REFER is taken as the peer's own when its
 * Referred-By, if any, names the same user and host as its From (the dialog's remote URI, RFC 3261
 * §12.2.1.1) and it comes from the address the peer's signalling came from, when that is known.
 * Pure: header text from peers is hostile, so every outcome is a value.
 */
import { parseNameAddr, parseUri } from '../../sip/header-values.js';

export interface ReferOrigin {
  /** The Referred-By header value, when present. */
  referredBy?: string;
  /** The REFER's From URI. */
  from: string;
  /** The address the REFER came from. */
  sourceAddress: string;
}

/** What the leg knows of its peer: the address its signalling came from (the INVITE's source), when known. */
export interface DialogPeer {
  address?: string;
}

export interface ForeignRefer {
  status: 400 | 403;
  why: string;
}

/** user@host of a SIP URI (host case-insensitive, RFC 3261 §19.1.4), or undefined when it is none. */
function identity(uri: string): string | undefined {
  const u = parseUri(uri);
  if (!u || !u.host) return undefined;
  return `${u.user}@${u.host.toLowerCase()}`;
}

/** Why the REFER is not the dialog peer's own (the status to refuse it with), or undefined when it is. */
export function foreignRefer(r: ReferOrigin, peer: DialogPeer = {}): ForeignRefer | undefined {
  if (r.referredBy !== undefined) {
    const by = parseNameAddr(r.referredBy);
    const who = by && identity(by.uri);
    // RFC 3892 §3: Referred-By is a name-addr or addr-spec; anything else is a malformed request.
    if (!who) return { status: 400, why: 'Referred-By is not a SIP URI' };
    const from = identity(r.from);
    if (who !== from) return { status: 403, why: 'Referred-By names someone other than the dialog’s peer' };
  }
  if (peer.address !== undefined && normalize(peer.address) !== normalize(r.sourceAddress)) {
    return { status: 403, why: 'the REFER came from another address than the dialog’s peer' };
  }
  return undefined;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) and a.b.c.d are one address. */
const normalize = (a: string) => a.trim().toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/**
 * A check on each received SCTP packet before the npm `sctp` package decodes it. The package
 * walks a chunk's parameters (lib/chunk.js) and an ABORT or ERROR chunk's error causes
 * (lib/defs.js) by their Length fields; a Length of 0 never advances the walk, so one such
 * packet froze the process (and the cause walk grew its result without bound) — found by
 * `npm run fuzz`. RFC 9260 §3.2.1 and §3.3.10 put every parameter and cause Length at 4 or more;
 * packets that break that rule are refused here. Pure.
 */

/** Where a chunk's parameters start, by chunk type, for chunks the package walks as TLVs (RFC 9260 §3.3). */
const PARAMS_FROM: Readonly<Record<number, number>> = {
  1: 20, // INIT §3.3.2
  2: 20, // INIT ACK §3.3.3
  4: 4, // HEARTBEAT §3.3.5
  5: 4, // HEARTBEAT ACK §3.3.6
  7: 8, // SHUTDOWN: the package walks anything after the Cumulative TSN Ack
  8: 4,
  11: 4,
  12: 4,
  13: 4,
  14: 4,
  128: 4, // ASCONF-ACK (RFC 5061)
  130: 4, // RE-CONFIG (RFC 6525)
};
/** ABORT §3.3.7 and ERROR §3.3.10 carry error causes after the chunk header. */
const CAUSES = new Set([6, 9]);
/** The package's minimum chunk lengths (shorter chunks it drops without a walk). */
const MIN_LENGTH: Readonly<Record<number, number>> = { 1: 20, 2: 20, 7: 8 };

/** Why the packet (common header and chunks, no IP header) must not be decoded, or undefined. */
export function screenSctpPacket(b: Buffer): string | undefined {
  let offset = 12;
  while (offset + 4 <= b.length) {
    const type = b[offset];
    const length = b.readUInt16BE(offset + 2);
    // The package stops at a zero chunk Length and drops a chunk past the end; so does the walk here.
    if (length === 0 || offset + length > b.length) return undefined;
    const from = PARAMS_FROM[type];
    if (length >= (MIN_LENGTH[type] ?? 4)) {
      if (from !== undefined) {
        for (let p = offset + from; p + 4 <= offset + length; ) {
          const plen = b.readUInt16BE(p + 2);
          if (plen < 4) return `chunk type ${type}: parameter 0x${b.readUInt16BE(p).toString(16)} has Length ${plen} (RFC 9260 §3.2.1 needs at least 4)`;
          p += plen + ((4 - (plen % 4)) % 4);
        }
      } else if (CAUSES.has(type)) {
        // The package adds the cause Length without padding; walk as it does.
        for (let p = offset + 4; p + 4 <= offset + length; ) {
          const clen = b.readUInt16BE(p + 2);
          if (clen < 4) return `chunk type ${type}: error cause ${b.readUInt16BE(p)} has Length ${clen} (RFC 9260 §3.3.10 needs at least 4)`;
          p += clen;
        }
      }
    }
    offset += length + ((4 - (length % 4)) % 4);
  }
  return undefined;
}

/** The SCTP packet inside a raw IPv4 datagram (as raw-socket delivers it), screened. */
export function screenRawIpv4(b: Buffer): string | undefined {
  if (b.length < 1) return undefined;
  const ihl = (b[0] & 0x0f) << 2;
  return b.length >= ihl ? screenSctpPacket(b.subarray(ihl)) : undefined;
}

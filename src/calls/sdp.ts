/**
 * SDP answers the switch writes itself, only where no media gateway takes part (lab profile
 * without a gateway): every offered stream is declined with port 0 (RFC 3264 §6), so the caller
 * knows there is no media rather than sending RTP into a void.
 */
export function declineAllStreams(offer: string, address: string): string {
  const media = offer
    .split(/\r?\n/)
    .filter((l) => l.startsWith('m='))
    .map((l) => {
      const [kind, , proto, ...fmts] = l.slice(2).trim().split(/\s+/);
      return `m=${kind} 0 ${proto ?? 'RTP/AVP'} ${fmts.length ? fmts.join(' ') : '0'}`;
    });
  const id = Date.now();
  return [
    'v=0',
    `o=softswitch ${id} ${id} IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    ...(media.length ? media : ['m=audio 0 RTP/AVP 0']),
    '',
  ].join('\r\n');
}

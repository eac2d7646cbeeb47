/** SIP messages for tests, written CRLF-joined. */
export const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

export const SDP = ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 40000 RTP/AVP 0 8', ''].join('\r\n');

export function invite(opts: { port?: number; branch?: string; callId?: string; extra?: string[]; body?: string } = {}): Buffer {
  const body = opts.body ?? SDP;
  return crlf([
    'INVITE sip:+4930123456@198.51.100.1 SIP/2.0',
    `Via: SIP/2.0/UDP 192.0.2.10:${opts.port ?? 5060};branch=${opts.branch ?? 'z9hG4bK-abc-1'}`,
    'Max-Forwards: 70',
    'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1',
    'To: <sip:+4930123456@198.51.100.1>',
    `Call-ID: ${opts.callId ?? 'call-1@192.0.2.10'}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@192.0.2.10:${opts.port ?? 5060}>`,
    'P-Asserted-Identity: <sip:+4940111@192.0.2.10;user=phone>',
    ...(opts.extra ?? []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ]);
}

/** A request inside the dialog the fixture INVITE creates (caller 192.0.2.10, Call-ID call-1). */
export const inDialog = (method: string, toTag: string, cseq: number, extra: string[] = [], branch = `z9hG4bK-${method}-${cseq}`) =>
  crlf([
    `${method} sip:198.51.100.1:5099 SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`,
    'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1',
    `To: <sip:+4930123456@198.51.100.1>;tag=${toTag}`,
    'Call-ID: call-1@192.0.2.10',
    `CSeq: ${cseq} ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ]);

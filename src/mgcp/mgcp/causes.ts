/** MGCP return codes (RFC 3435 §2.4) to the bearer port's protocol-neutral refusal causes. */
import type { BearerRejectCause } from '../bearer-port.js';

const BY_CODE: Readonly<Record<number, BearerRejectCause>> = {
  403: 'no-resources',
  404: 'no-resources',
  405: 'endpoint-not-ready',
  409: 'no-resources',
  410: 'no-resources',
  500: 'unknown-endpoint',
  501: 'endpoint-not-ready',
  502: 'no-resources',
  504: 'protocol-error',
  505: 'bad-session-description',
  506: 'bad-session-description',
  507: 'protocol-error',
  509: 'bad-session-description',
  510: 'protocol-error',
  511: 'protocol-error',
  515: 'unknown-connection',
  516: 'unknown-call',
  517: 'unsupported-mode',
  520: 'endpoint-not-ready',
  524: 'protocol-error',
  525: 'protocol-error',
  526: 'no-resources',
  527: 'missing-remote-sdp',
  528: 'protocol-error',
  532: 'protocol-error',
  534: 'bad-session-description',
  535: 'bad-session-description',
  539: 'protocol-error',
  540: 'no-resources',
  541: 'protocol-error',
};

export function rejectCauseOf(code: number): BearerRejectCause {
  const known = BY_CODE[code];
  if (known) return known;
  return code >= 400 && code < 500 ? 'transient' : 'other';
}

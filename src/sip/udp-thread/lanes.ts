/**
 * Which of the two inbound lanes a SIP datagram takes on its way to the main thread
 * (worker.ts, transport.ts). Under overload the switch admits only part of the new calls, and the
 * calls it admitted must still finish quickly: a call whose ACK, BYE or network responses wait
 * behind a backlog of new INVITEs holds its transactions, dialog and call state the whole time,
 * and at twice its capacity the switch held ~400 calls in flight instead of ~120, with the
 * collections that state costs. So work in progress has a lane of its own that the main thread
 * empties first, and only new work (out-of-dialog requests) queues behind a backlog, where the
 * overload gate measures and sheds it (the queue-delay probes travel in the new-work lane).
 *
 * In progress: responses, and requests inside a dialog (a To tag), plus ACK, BYE and PRACK
 * always (they never start anything). New work: every other request, CANCEL too (it must not
 * overtake the INVITE it cancels, which may still be queued), and whatever cannot be read (it
 * gets no precedence over a caller). Pure, over the raw bytes: no parse, no allocation.
 */

const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const SEMI = 0x3b;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LT = 0x3c;
const GT = 0x3e;
const LOWER = 0x20;

/** Methods that never start a dialog or a transaction of their own (ACK, BYE, PRACK), as the bytes before the space. */
const IN_PROGRESS_METHODS = ['ACK', 'BYE', 'PRACK'].map((m) => Buffer.from(`${m} `, 'latin1'));
const RESPONSE = Buffer.from('SIP/', 'latin1');
const CANCEL = Buffer.from('CANCEL ', 'latin1');

function startsWith(buf: Uint8Array, prefix: Uint8Array): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}

/** Whether a datagram is new work (queues in the new-work lane) rather than work in progress. */
export function isNewWork(buf: Uint8Array): boolean {
  if (startsWith(buf, RESPONSE)) return false;
  for (const m of IN_PROGRESS_METHODS) if (startsWith(buf, m)) return false;
  return startsWith(buf, CANCEL) || !toHasTag(buf);
}

/** Whether the request's To header (or its compact form t) carries a tag parameter. */
export function toHasTag(buf: Uint8Array): boolean {
  const end = buf.length;
  let i = nextLine(buf, 0);
  while (i < end && buf[i] !== CR && buf[i] !== LF) {
    const c = buf[i] | LOWER;
    if (c === 0x74 /* t */) {
      let j = i + 1;
      if (j < end && (buf[j] | LOWER) === 0x6f /* o */) j++;
      while (j < end && (buf[j] === SP || buf[j] === HTAB)) j++;
      if (j < end && buf[j] === COLON) return headerHasTag(buf, j + 1);
    }
    i = nextLine(buf, i);
  }
  return false;
}

/** Offset of the line after the one containing `from` (buf.length when none). */
function nextLine(buf: Uint8Array, from: number): number {
  for (let i = from; i < buf.length; i++) if (buf[i] === LF) return i + 1;
  return buf.length;
}

/**
 * Whether the header value from `at` (with its folded continuation lines) has a `;tag=` parameter
 * outside quotes and angle brackets (inside them it belongs to the display name or the URI).
 */
function headerHasTag(buf: Uint8Array, at: number): boolean {
  const end = buf.length;
  let quoted = false;
  let angled = false;
  for (let i = at; i < end; i++) {
    const b = buf[i];
    if (b === LF) {
      // A continuation line starts with white space (RFC 3261 §7.3.1); anything else ends the header.
      if (i + 1 < end && (buf[i + 1] === SP || buf[i + 1] === HTAB)) continue;
      return false;
    }
    if (quoted) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) quoted = false;
    } else if (b === QUOTE) quoted = true;
    else if (b === LT) angled = true;
    else if (b === GT) angled = false;
    else if (b === SEMI && !angled && isTagParam(buf, i + 1)) return true;
  }
  return false;
}

/** Whether `tag` (any case), optional white space and `=` start at `at`. */
function isTagParam(buf: Uint8Array, at: number): boolean {
  let i = at;
  while (i < buf.length && (buf[i] === SP || buf[i] === HTAB)) i++;
  if (i + 3 > buf.length || (buf[i] | LOWER) !== 0x74 || (buf[i + 1] | LOWER) !== 0x61 || (buf[i + 2] | LOWER) !== 0x67) return false;
  i += 3;
  while (i < buf.length && (buf[i] === SP || buf[i] === HTAB)) i++;
  return i < buf.length && buf[i] === 0x3d;
}

/**
 * The message-summary body (RFC 3842 §5.2, application/simple-message-summary): a status line
 * `Messages-Waiting: yes|no`, an optional `Message-Account` URI, and per message class
 * `new/old (urgent_new/urgent_old)` counts. Pure; hostile input gives an error value.
 */

export const MESSAGE_SUMMARY_TYPE = 'application/simple-message-summary';
export const MESSAGE_SUMMARY_EVENT = 'message-summary';

/** RFC 3458 message-context-class names used as headers in the body. */
const CLASSES = ['voice-message', 'fax-message', 'pager-message', 'multimedia-message', 'text-message', 'none'] as const;
export type MessageClass = (typeof CLASSES)[number];

export interface MessageCounts {
  newMessages: number;
  oldMessages: number;
  urgentNew?: number;
  urgentOld?: number;
}

export interface MessageSummary {
  waiting: boolean;
  account?: string;
  counts: Partial<Record<MessageClass, MessageCounts>>;
}

export type SummaryResult = { ok: true; summary: MessageSummary } | { ok: false; error: string };

/** Bodies larger than this are refused before parsing (a summary is a few lines). */
export const MAX_SUMMARY_BYTES = 4096;

const COUNT = /^(\d{1,9})\/(\d{1,9})(?:\s*\((\d{1,9})\/(\d{1,9})\))?$/;

export function parseMessageSummary(body: string): SummaryResult {
  if (body.length > MAX_SUMMARY_BYTES) return { ok: false, error: 'body too large' };
  let waiting: boolean | undefined;
  let account: string | undefined;
  const counts: MessageSummary['counts'] = {};
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    // A blank line ends the summary; optional message headers may follow (§5.2).
    if (line === '') {
      if (waiting !== undefined) break;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, error: `not a header line: ${line.slice(0, 40)}` };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'messages-waiting') {
      const v = value.toLowerCase();
      if (v !== 'yes' && v !== 'no') return { ok: false, error: `Messages-Waiting must be yes or no, not ${value.slice(0, 20)}` };
      waiting = v === 'yes';
    } else if (name === 'message-account') {
      account = value;
    } else if ((CLASSES as readonly string[]).includes(name)) {
      const m = COUNT.exec(value);
      if (!m) return { ok: false, error: `bad counts for ${name}: ${value.slice(0, 40)}` };
      const c: MessageCounts = { newMessages: Number(m[1]), oldMessages: Number(m[2]) };
      if (m[3] !== undefined) {
        c.urgentNew = Number(m[3]);
        c.urgentOld = Number(m[4]);
      }
      counts[name as MessageClass] = c;
    }
    // Other extension headers are ignored (§5.2: msg-summary-line is extensible).
  }
  if (waiting === undefined) return { ok: false, error: 'no Messages-Waiting line' };
  return { ok: true, summary: { waiting, account, counts } };
}

const CLASS_NAMES: Record<MessageClass, string> = {
  'voice-message': 'Voice-Message',
  'fax-message': 'Fax-Message',
  'pager-message': 'Pager-Message',
  'multimedia-message': 'Multimedia-Message',
  'text-message': 'Text-Message',
  none: 'None',
};

export function formatMessageSummary(s: MessageSummary): string {
  const lines = [`Messages-Waiting: ${s.waiting ? 'yes' : 'no'}`];
  if (s.account) lines.push(`Message-Account: ${s.account}`);
  for (const cls of CLASSES) {
    const c = s.counts[cls];
    if (!c) continue;
    const urgent = c.urgentNew !== undefined ? ` (${c.urgentNew}/${c.urgentOld ?? 0})` : '';
    lines.push(`${CLASS_NAMES[cls]}: ${c.newMessages}/${c.oldMessages}${urgent}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

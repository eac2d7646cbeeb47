/**
 * A one-line name for an H.248 message, as an operator reads a ladder: the commands of each
 * transaction ("Add+Add T=12", "Reply Add+Add T=12", "Pending T=7", "Ack 3-5"). Never throws.
 */
import { decode } from './codec.js';
import type { Transaction } from './messages.js';

const NAMES: Record<string, string> = {
  add: 'Add',
  modify: 'Modify',
  move: 'Move',
  subtract: 'Subtract',
  auditValue: 'AuditValue',
  auditCapabilities: 'AuditCapabilities',
  notify: 'Notify',
  serviceChange: 'ServiceChange',
};

const name = (command: string): string => NAMES[command] ?? command;

function transactionLabel(t: Transaction): string {
  switch (t.type) {
    case 'request':
      return `${t.actions.flatMap((a) => a.commands.map((c) => name(c.command))).join('+') || 'Request'} T=${t.id}`;
    case 'reply': {
      if (t.error) return `Reply error ${t.error.code} T=${t.id}`;
      const failed = t.actions.find((a) => a.error);
      if (failed?.error) return `Reply error ${failed.error.code} T=${t.id}`;
      const cmds = t.actions.flatMap((a) => a.replies.map((r) => name(r.command))).join('+');
      return `Reply${cmds ? ` ${cmds}` : ''} T=${t.id}${t.segment ? ` seg ${t.segment.number}${t.segment.complete ? ' end' : ''}` : ''}`;
    }
    case 'pending':
      return `Pending T=${t.id}`;
    case 'segmentReply':
      return `SegmentReply T=${t.id}`;
    case 'ack':
      return `Ack ${t.ranges.map((r) => (r.last !== undefined ? `${r.first}-${r.last}` : String(r.first))).join(',')}`;
  }
}

export function h248Label(bytes: Buffer): string {
  const d = decode(bytes);
  if (d.type === 'error') return `MEGACO (unreadable: error ${d.code})`;
  if (d.error) return `Error ${d.error.code}`;
  // Acks riding in front of a request are not what the message is about.
  const main = d.transactions.filter((t) => t.type !== 'ack');
  return (main.length > 0 ? main : d.transactions).map(transactionLabel).join(', ') || 'MEGACO';
}

/**
 * Receive leniency toward lax peers (RFC 4666 §3.8.1 Unexpected Parameter): a known parameter that
 * does not belong in a message is skipped, counted, and logged once per (message type, tag) per
 * endpoint, so a chatty peer cannot flood the log.
 */
import type { Logger } from '../../util/log.js';
import { Tag } from './constants.js';
import type { M3uaMessageType } from './messages.js';
import type { M3uaMetrics } from './metrics.js';

const TAG_NAMES = new Map<number, string>(Object.entries(Tag).map(([name, tag]) => [tag, name]));

export function tagName(tag: number): string {
  return `0x${tag.toString(16).padStart(4, '0')} ${TAG_NAMES.get(tag) ?? 'unknown'}`;
}

export class UnexpectedParameterReporter {
  private readonly logged = new Set<string>();

  constructor(
    private readonly role: 'asp' | 'sg',
    private readonly log: Logger,
    private readonly m: M3uaMetrics,
  ) {}

  note(type: M3uaMessageType, tags: readonly number[], context: Record<string, unknown> = {}): void {
    for (const tag of tags) {
      const hex = `0x${tag.toString(16).padStart(4, '0')}`;
      this.m.m3uaUnexpectedParameters.inc({ role: this.role, type, tag: hex });
      const key = `${type}/${tag}`;
      if (this.logged.has(key)) continue;
      this.logged.add(key);
      this.log.warn(
        { ...context, type, tag: hex },
        `peer sent parameter ${tagName(tag)} in ${type}, where RFC 4666 §3 does not allow it; processed anyway (logged once)`,
      );
    }
  }
}

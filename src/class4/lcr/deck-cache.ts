/**
 * Parsed decks of recent files, keyed by carrier and content hash, so that activating one
 * carrier's new deck re-parses only that deck. Used by the deck builder (loads) and the deck
 * worker (uploads and diffs), each with a cache of its own.
 */
import { createHash } from 'node:crypto';
import { parseDeck, type DeckRows } from './deck.js';
import type { CarrierParse } from './worker-protocol.js';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export class DeckCache {
  /** Parsed decks by `${carrier}\0${sha256}`, oldest first. */
  private readonly parsed = new Map<string, DeckRows>();

  constructor(public size = 8) {}

  remember(carrier: string, hash: string, deck: DeckRows): void {
    const key = `${carrier}\0${hash}`;
    this.parsed.delete(key);
    this.parsed.set(key, deck);
    while (this.parsed.size > this.size) this.parsed.delete(this.parsed.keys().next().value as string);
  }

  private recall(carrier: string, hash: string): DeckRows | undefined {
    const d = this.parsed.get(`${carrier}\0${hash}`);
    if (d) this.remember(carrier, hash, d);
    return d;
  }

  /** A deck file parsed (from the cache when its content was seen before). */
  parseFile(carrier: string, path: string, bytes: Buffer, hash = sha256(bytes)): { deck?: DeckRows; parse: CarrierParse; fresh: boolean } {
    const hit = this.recall(carrier, hash);
    if (hit) return { deck: hit, fresh: false, parse: { carrier, path, sha256: hash, ok: true, rows: hit.count, errors: [], errorCount: 0, rowCount: hit.count } };
    const r = parseDeck(carrier, bytes.toString('utf8'));
    if (!r.ok) return { fresh: true, parse: { carrier, path, sha256: hash, ok: false, rows: 0, errors: r.errors.slice(0, 100), errorCount: r.errorCount, rowCount: r.rowCount } };
    this.remember(carrier, hash, r.deck);
    return { deck: r.deck, fresh: true, parse: { carrier, path, sha256: hash, ok: true, rows: r.deck.count, errors: [], errorCount: 0, rowCount: r.deck.count } };
  }
}

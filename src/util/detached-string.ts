/**
 * A copy of `s` that holds no reference to the strings it was cut or joined from.
 *
 * V8 makes `text.slice(a, b)` (13 characters or more) a view into `text`, and `a + b` a pair of
 * references, so a key built from a parsed header keeps the whole message it came from alive for
 * as long as the key lives. A store that keeps keys for 32 s (finished SIP transactions, merged-
 * request keys) held every message that way: measured 80,000 message texts, 42 MB, at 2,000
 * calls/s. Slicing a fresh concatenation makes V8 copy the characters into one flat string first,
 * and the slice refers only to that copy.
 */
export function detachedString(s: string): string {
  return (' ' + s).slice(1);
}

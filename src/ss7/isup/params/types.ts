import type { WireWriter } from '../../../wire/writer.js';
import type { Variant } from '../../variant.js';

/**
 * One ISUP parameter's content codec (Q.763 §3 / T1.113.3 §3). `decode` reads buf[start, end)
 * and returns undefined when the content is malformed; it never throws or reads outside the range.
 * `fixed` is the content length when the parameter is mandatory fixed. The functions do not use
 * `this`: the tables call copies of them.
 */
export interface ParamCodec<T> {
  readonly fixed?: number;
  encode(w: WireWriter, v: T, variant: Variant): void;
  decode(buf: Buffer, start: number, end: number, variant: Variant): T | undefined;
}

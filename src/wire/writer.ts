/**
 * A growable big-endian writer. Length fields are reserved with `mark*` and filled by
 * `patch*` once the body is written, so codecs never compute lengths twice.
 *
 * Used once, `finish()` returns an exact-size copy. Used as a slab for many small units,
 * `restart()` begins a unit after every byte written so far and `view()` returns the unit
 * without a copy; a view is never written again, the writer moves to a fresh slab when full.
 * Offsets (`length`, `mark`, `patch*`, `byteAt`) count from the start of the current unit.
 */
export class WireWriter {
  private buf: Buffer;
  private pos = 0;
  private base = 0;
  private readonly slabSize: number;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.slabSize = initialSize;
  }

  get length(): number {
    return this.pos - this.base;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const used = this.pos - this.base;
    let size = this.buf.length * 2;
    while (size < used + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.base, this.pos);
    this.buf = next;
    this.base = 0;
    this.pos = used;
  }

  /**
   * Starts a new unit at the next 8-octet boundary after everything written so far, on a fresh
   * slab when fewer than `minFree` octets remain. Earlier views stay valid and unchanged.
   */
  restart(minFree = 0): this {
    const at = (this.pos + 7) & ~7;
    if (at + minFree > this.buf.length) {
      this.buf = Buffer.allocUnsafe(Math.max(this.slabSize, minFree));
      this.pos = this.base = 0;
    } else {
      this.pos = this.base = at;
    }
    return this;
  }

  u8(v: number): this {
    // The common case inline; growth out of line keeps u8 small enough to inline everywhere.
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  u16le(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  u24le(v: number): this {
    this.ensure(3);
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    return this;
  }

  u32le(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Zero bytes up to the next multiple of `n` (M3UA/SCTP 4-byte padding). */
  pad(n: number): this {
    const extra = (n - (this.length % n)) % n;
    this.ensure(extra);
    this.buf.fill(0, this.pos, this.pos + extra);
    this.pos += extra;
    return this;
  }

  /** Reserve a field to be filled by a later patch; returns its offset. */
  mark(width: 1 | 2 | 4): number {
    this.ensure(width);
    const at = this.pos;
    this.buf.fill(0, at, at + width);
    this.pos += width;
    return at - this.base;
  }

  patchU8(at: number, v: number): void {
    this.buf[this.base + at] = v & 0xff;
  }

  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, this.base + at);
  }

  patchU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, this.base + at);
  }

  /** Byte written at an earlier offset (for patching indicator bits). */
  byteAt(at: number): number {
    return this.buf[this.base + at];
  }

  /** A copy of what was written (since the last `restart`), sized exactly. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(this.base, this.pos));
  }

  /** What was written since the last `restart`, without a copy (see the class note). */
  view(): Buffer {
    // Buffer.from over the ArrayBuffer skips subarray's species lookup (about half the cost).
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + this.base, this.pos - this.base);
  }
}

/**
 * A bounds-checked cursor over a Buffer. Every read checks the remaining length first and
 * reports a shortfall as a {@link WireShortError} value through `ok`, so codecs built on it
 * never throw on hostile input: they read, then test `reader.ok` once at the end of a unit.
 */
export class WireReader {
  private pos: number;
  private readonly end: number;
  /** False once any read ran past the end; reads after that return zeros. */
  ok = true;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = Math.min(end, buf.length);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number): number {
    if (n < 0 || this.pos + n > this.end) {
      this.ok = false;
      this.pos = this.end;
      return -1;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.buf[at];
  }

  u16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readUInt16BE(at);
  }

  u24(): number {
    const at = this.take(3);
    return at < 0 ? 0 : (this.buf[at] << 16) | (this.buf[at + 1] << 8) | this.buf[at + 2];
  }

  u32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readUInt32BE(at);
  }

  /** Little-endian 16-bit (ISUP CIC, ITU routing label halves). */
  u16le(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readUInt16LE(at);
  }

  u24le(): number {
    const at = this.take(3);
    return at < 0 ? 0 : this.buf[at] | (this.buf[at + 1] << 8) | (this.buf[at + 2] << 16);
  }

  u32le(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readUInt32LE(at);
  }

  /** A view (no copy) of the next n bytes; empty when short. */
  bytes(n: number): Buffer {
    const at = this.take(n);
    return at < 0 ? this.buf.subarray(0, 0) : this.buf.subarray(at, at + n);
  }

  /** A view of everything left. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  skip(n: number): void {
    this.take(n);
  }

  peekU8(ahead = 0): number {
    const at = this.pos + ahead;
    return at < this.end ? this.buf[at] : -1;
  }

  /** A reader over the next n bytes; this reader moves past them. */
  sub(n: number): WireReader {
    const at = this.take(n);
    return at < 0 ? new WireReader(this.buf, 0, 0) : new WireReader(this.buf, at, at + n);
  }
}

/**
 * A single-producer, single-consumer queue of datagrams in shared memory, between the SIP socket's
 * I/O thread and the main thread (one ring each way). Records are variable length and contiguous:
 * a record that does not fit before the end of the buffer leaves a wrap mark and starts at 0. The
 * writer publishes a record by storing the write offset with Atomics after writing its bytes; the
 * reader frees space the same way with the read offset. A full ring refuses the record (the
 * datagram is dropped and counted, as a full kernel receive buffer would).
 *
 * Waking the reader costs an Atomics.notify only when it said it was going to sleep
 * ({@link RingReader.sleep}): a busy reader drains whatever has arrived without being told.
 *
 * Record layout (big-endian, 4-byte aligned): u32 payload length (WRAP: skip to 0), u16 port,
 * u8 kind, u8 address length, f64 stamp (ms, the writer's clock), address (latin1), payload.
 */

/** Control words (Int32Array indexes) of a ring. */
const WRITE = 0;
const READ = 1;
/** 1 while the reader waits to be told of a record. */
const SLEEPING = 2;
/** Records refused because the ring was full. */
const REFUSED = 3;
/**
 * Bumped by each wake-up: the word a sleeping reader waits on. Not the write offset, because one
 * reader may sleep for two rings (`alsoPending`): a record written to the other ring leaves this
 * ring's write offset as it was, and a wait on it would miss a notify sent just before it began.
 */
const DOORBELL = 4;
const CONTROL_WORDS = 5;

const HEADER = 16;
const WRAP = 0xffffffff;
/** The writer never fills the last 4 bytes before the read offset, so full and empty differ. */
const GAP = 4;

export const MAX_ADDRESS_BYTES = 255;

/** The shared memory of one ring: create it on one side and pass it to the other in workerData. */
export interface RingMemory {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

export function createRing(bytes: number): RingMemory {
  const size = Math.max(1024, Math.ceil(bytes / 4) * 4);
  return { control: new SharedArrayBuffer(CONTROL_WORDS * 4), data: new SharedArrayBuffer(size) };
}

/** Records a ring refused because it was full (either side may read it). */
export function ringRefusals(memory: RingMemory): number {
  return Atomics.load(new Int32Array(memory.control), REFUSED);
}

/** One record as read: the payload is copied out of shared memory (the caller may keep it). */
export interface RingRecord {
  kind: number;
  address: string;
  port: number;
  stamp: number;
  payload: Buffer;
}

/** Atomics.waitAsync (ES2024; in Node since 16), typed here while the project's lib is older. */
type WaitAsync = (
  typed: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

const align4 = (n: number) => (n + 3) & ~3;

export class RingWriter {
  private readonly control: Int32Array;
  private readonly bytes: Buffer;
  private readonly view: DataView;
  private readonly cap: number;
  private w: number;

  constructor(memory: RingMemory) {
    this.control = new Int32Array(memory.control);
    this.bytes = Buffer.from(memory.data);
    this.view = new DataView(memory.data);
    this.cap = memory.data.byteLength;
    this.w = Atomics.load(this.control, WRITE);
  }

  /**
   * The largest payload a record can carry with an address of `addressBytes`: it fits a ring that
   * was never written; one in use needs that much room in one piece (size rings far above 64 KiB).
   */
  maxPayload(addressBytes = MAX_ADDRESS_BYTES): number {
    return this.cap - GAP - HEADER - addressBytes;
  }

  /**
   * Appends a record; false (and counted) when the ring has no room for it now. An address longer
   * than {@link MAX_ADDRESS_BYTES} or a payload beyond {@link maxPayload} is refused the same way.
   */
  write(kind: number, address: string, port: number, stamp: number, payload: Uint8Array): boolean {
    const addressBytes = address.length;
    const total = align4(HEADER + addressBytes + payload.length);
    if (addressBytes > MAX_ADDRESS_BYTES || total > this.cap - GAP) return this.refuse();
    const r = Atomics.load(this.control, READ);
    let at = this.w;
    if (at >= r) {
      // Free: [at, cap) and [0, r − GAP). A record ending exactly at cap is fine unless r is 0.
      const tail = this.cap - at - (r === 0 ? GAP : 0);
      if (total > tail) {
        if (total > r - GAP) return this.refuse();
        this.view.setUint32(at, WRAP);
        at = 0;
      }
    } else if (total > r - at - GAP) {
      return this.refuse();
    }
    this.view.setUint32(at, payload.length);
    this.view.setUint16(at + 4, port);
    this.view.setUint8(at + 6, kind);
    this.view.setUint8(at + 7, addressBytes);
    this.view.setFloat64(at + 8, stamp);
    this.bytes.write(address, at + HEADER, 'latin1');
    this.bytes.set(payload, at + HEADER + addressBytes);
    let next = at + total;
    if (next === this.cap) next = 0;
    this.w = next;
    Atomics.store(this.control, WRITE, next);
    return true;
  }

  /** Wakes the reader if it is asleep (after one or more writes). */
  wake(): void {
    if (Atomics.load(this.control, SLEEPING) === 1 && Atomics.compareExchange(this.control, SLEEPING, 1, 0) === 1) {
      Atomics.add(this.control, DOORBELL, 1);
      Atomics.notify(this.control, DOORBELL);
    }
  }

  /** Records refused so far (the ring was full). */
  get refused(): number {
    return Atomics.load(this.control, REFUSED);
  }

  private refuse(): boolean {
    Atomics.add(this.control, REFUSED, 1);
    return false;
  }
}

export class RingReader {
  private readonly control: Int32Array;
  private readonly bytes: Buffer;
  private readonly view: DataView;
  private readonly cap: number;
  private r: number;

  constructor(memory: RingMemory) {
    this.control = new Int32Array(memory.control);
    this.bytes = Buffer.from(memory.data);
    this.view = new DataView(memory.data);
    this.cap = memory.data.byteLength;
    this.r = Atomics.load(this.control, READ);
  }

  /** Whether a record is waiting. */
  get pending(): boolean {
    return this.r !== Atomics.load(this.control, WRITE);
  }

  /** Takes the oldest record, or undefined when none is waiting. */
  read(): RingRecord | undefined {
    let at = this.r;
    if (at === Atomics.load(this.control, WRITE)) return undefined;
    let length = this.view.getUint32(at);
    if (length === WRAP) {
      at = 0;
      length = this.view.getUint32(0);
    }
    const addressBytes = this.view.getUint8(at + 7);
    const start = at + HEADER + addressBytes;
    const payload = Buffer.allocUnsafe(length);
    this.bytes.copy(payload, 0, start, start + length);
    const record: RingRecord = {
      kind: this.view.getUint8(at + 6),
      port: this.view.getUint16(at + 4),
      stamp: this.view.getFloat64(at + 8),
      address: this.bytes.toString('latin1', at + HEADER, at + HEADER + addressBytes),
      payload,
    };
    let next = at + align4(HEADER + addressBytes + length);
    if (next === this.cap) next = 0;
    this.r = next;
    Atomics.store(this.control, READ, next);
    return record;
  }

  /**
   * Resolves once a record is waiting: at once if one already is, otherwise when the writer wakes
   * this reader. Only one sleep may be outstanding. `alsoPending` lets one sleep serve a second
   * ring too (worker.ts's new-work lane): it is asked after the sleep is announced, so a record
   * written there is seen either by it or by the writer, who then wakes this ring's reader.
   */
  sleep(alsoPending?: () => boolean): Promise<void> {
    Atomics.store(this.control, SLEEPING, 1);
    // Read before looking for records: a wake-up after this changes it, so the wait below returns.
    const bell = Atomics.load(this.control, DOORBELL);
    if (Atomics.load(this.control, WRITE) !== this.r || alsoPending?.()) {
      Atomics.store(this.control, SLEEPING, 0);
      return Promise.resolve();
    }
    const waited = waitAsync(this.control, DOORBELL, bell);
    if (!waited.async) {
      Atomics.store(this.control, SLEEPING, 0);
      return Promise.resolve();
    }
    return waited.value.then(() => undefined);
  }

  /** Ends a sleep that would otherwise wait for the next record (closing). */
  interrupt(): void {
    Atomics.store(this.control, SLEEPING, 0);
    Atomics.add(this.control, DOORBELL, 1);
    Atomics.notify(this.control, DOORBELL);
  }
}

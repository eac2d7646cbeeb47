/**
 * The one writer of an association: user messages wait here in arrival order and are handed to
 * the SCTP stack only while the congestion and receive windows have room (RFC 4960 §6.1 rules
 * A and B), so nothing is written past backpressure and order within each stream is kept.
 */

export interface QueuedMessage {
  data: Buffer;
  stream: number;
  ppid: number;
}

/** What the queue needs from the stack below. */
export interface SendSink {
  /** Bytes the stack may still take now (window minus what is in flight or waiting to be bundled). */
  room(): number;
  /** Hand one message to the stack; false if it refused (the message stays at the head). */
  submit(msg: QueuedMessage): boolean;
}

/** DATA chunk header (RFC 4960 §3.3.1): 16 bytes before the user data. */
export const DATA_CHUNK_OVERHEAD = 16;

export class SendQueue {
  private items: (QueuedMessage | undefined)[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly limit: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get queuedBytes(): number {
    return this.bytes;
  }

  /** False when the queue is full (the caller reports the loss). */
  push(msg: QueuedMessage): boolean {
    if (this.length >= this.limit) return false;
    this.items.push(msg);
    this.bytes += msg.data.length;
    return true;
  }

  /**
   * Hands messages to the sink while it has room. With nothing in flight the head message is
   * always offered, so a window smaller than one message cannot stall the queue. Returns the
   * number handed over.
   */
  pump(sink: SendSink, idle: () => boolean): number {
    let sent = 0;
    while (this.head < this.items.length) {
      const msg = this.items[this.head] as QueuedMessage;
      const need = msg.data.length + DATA_CHUNK_OVERHEAD;
      if (need > sink.room() && !(sent === 0 && idle())) break;
      if (!sink.submit(msg)) break;
      this.items[this.head++] = undefined;
      this.bytes -= msg.data.length;
      sent++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return sent;
  }

  /** Empties the queue, returning how many messages were dropped. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }
}

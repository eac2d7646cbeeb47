/**
 * How long a datagram waits in the SIP socket's kernel receive queue before the switch reads it,
 * measured with probes: a small datagram sent to our own socket every few ms from a second socket,
 * stamped with its sequence number. The receive queue is FIFO, so a probe waits behind exactly the
 * datagrams queued when it arrived; its wait is the queueing delay a caller's INVITE sees at that
 * moment. A busy loop that keeps up drains the queue, so its probes come back in about one loop
 * turn; a backlog shows as probes that come back late, or not yet. Probes the kernel dropped (the
 * buffer was full) are known lost once a later probe arrives.
 *
 * One stall of the whole process (descheduled by the OS, a long task) delays the probe that was in
 * the queue, and the datagrams beside it, but the loop reads them all in its next turn: nothing is
 * left behind. So the delay reported is what two probes in a row waited (the lesser), and a probe
 * still out counts only once a later one was sent (the loop ran its timers meanwhile, and the
 * queue still held the first): a backlog shows in both, a single stall in neither.
 *
 * Pure state: the transport sends and receives, this keeps the times (ms, any monotonic clock).
 */

/** Probes remembered at once; older ones are counted as lost (the queue is that far behind). */
const MAX_OUTSTANDING = 1024;

export class ReceiveQueueProbe {
  private nextSeq = 0;
  /** Send times of probes not yet read, oldest first (seq = firstSeq + index). */
  private readonly sentAt: number[] = [];
  private firstSeq = 0;
  private lastDelay = 0;
  private prevDelay = 0;
  private lastSeen = -Infinity;
  private lostCount = 0;

  /** A probe is being sent now: its sequence number to put in it. */
  sent(now: number): number {
    if (this.sentAt.length >= MAX_OUTSTANDING) {
      this.sentAt.shift();
      this.firstSeq++;
      this.lostCount++;
    }
    this.sentAt.push(now);
    return this.nextSeq++;
  }

  /**
   * A probe came back. Unknown or stale sequence numbers (a replay, a forgery that got past the
   * transport's checks) are ignored.
   */
  received(seq: number, now: number): void {
    const i = seq - this.firstSeq;
    if (!Number.isInteger(i) || i < 0 || i >= this.sentAt.length) return;
    this.prevDelay = this.lastDelay;
    this.lastDelay = Math.max(0, now - this.sentAt[i]);
    this.lastSeen = now;
    // FIFO: every probe sent before this one and still missing was dropped by the kernel.
    this.lostCount += i;
    this.sentAt.splice(0, i + 1);
    this.firstSeq = seq + 1;
  }

  /**
   * The queueing delay now (ms): the lesser wait of the last two probes read, or longer when the
   * second-oldest probe still missing has been out longer than that (the queue is behind by at
   * least its age, and the loop has been running since it was sent).
   */
  delayMs(now: number): number {
    const waiting = this.sentAt.length > 1 ? now - this.sentAt[1] : 0;
    return Math.max(Math.min(this.lastDelay, this.prevDelay), waiting);
  }

  /** Probes known lost (dropped by a full receive buffer, or forgotten past the bound). */
  get lost(): number {
    return this.lostCount;
  }

  /** Probes sent and not read yet. */
  get outstanding(): number {
    return this.sentAt.length;
  }

  /** When the last probe was read (-Infinity: never). */
  get lastReadAt(): number {
    return this.lastSeen;
  }
}

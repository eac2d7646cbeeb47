/**
 * The SIP UDP transport with its socket on an I/O thread of its own (worker.ts): the main thread
 * takes datagrams from shared memory in batches and puts what it sends there, so a datagram costs
 * it a copy rather than a system call and a callback from libuv, and the second core does the
 * kernel's work of receiving and sending. Same face as transport-udp.ts (RFC 3261 §18).
 *
 * SIP datagrams come in two lanes (lanes.ts): work in progress (responses, in-dialog requests),
 * which the main thread takes first, and new work (new INVITEs and other out-of-dialog requests).
 * The receive-queue delay the overload guard sheds by is the wait in the new-work lane, measured
 * with probes the I/O thread stamps and queues behind its datagrams (receive-queue-probe.ts).
 * An I/O thread that dies is started again on the same port, once a second at most.
 */
import { isIP } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { SoftswitchError } from '../../errors.js';
import type { Logger } from '../../util/log.js';
import { siblingModule, startModuleWorker } from '../../util/module-worker.js';
import type { Endpoint } from '../message.js';
import { ReceiveQueueProbe } from '../receive-queue-probe.js';
import { sendOnceResolved, type UdpTransportOptions } from '../transport-udp.js';
import { createRing, ringRefusals, RingReader, RingWriter, type RingRecord } from './ring.js';
import { createEdgeShedMemory, EdgeShedControl } from './edge-shed.js';
import { DATAGRAM, PROBE, PROBE_SLOTS, sharedNow, type ThreadData, type ThreadEvent } from './protocol.js';

/** How long the I/O thread may shed a source's new INVITEs after the main thread admitted one from it (ms), and how often that is renewed. */
const SOURCE_ADMITTED_MS = 30_000;
const SOURCE_RENEW_MS = 10_000;
const MAX_SOURCES = 50_000;

/** Datagrams taken in one turn of the event loop before other I/O and timers get theirs (libuv reads 32 per poll). */
const BATCH = 32;

interface Thread {
  worker: Worker;
  /** Work in progress (or every datagram, with one lane): taken first. */
  inbound: RingReader;
  /** New work and the probes (lanes.ts), when the lanes are split. */
  inboundNew: RingReader | undefined;
  outbound: RingWriter;
  probeCount: Int32Array;
  probeSentAt: Float64Array;
  data: ThreadData;
}

export class ThreadedUdpTransport {
  private handler: ((buf: Buffer, from: Endpoint) => void) | undefined;
  private closed = false;
  private probe = new ReceiveQueueProbe();
  private probesSeen = 0;
  private lastRestart = 0;
  private dropLoggedAt = -Infinity;
  /** The thread whose ring the batch being delivered came from. */
  private batchOf: Thread | undefined;
  /** Drops counted by I/O threads that have since been replaced. */
  private droppedBefore = 0;
  /** Sources the I/O thread was told of, and when. */
  private readonly sourcesTold = new Map<string, number>();
  /** Overload refusals on the I/O thread: publish the admitted fraction, read the counts (undefined: not made there). */
  readonly edge: EdgeShedControl | undefined;

  private constructor(
    private thread: Thread,
    private readonly bound: { address: string; port: number },
    private readonly logger: Logger,
    /** Whose datagrams these are, in the thread's name and log lines ('sip', or 'sctp' for SIGTRAN's encapsulation). */
    private readonly purpose: string,
  ) {
    this.edge = thread.data.edge && new EdgeShedControl(thread.data.edge.memory);
    this.watch(thread);
    this.waitForDatagrams();
  }

  /**
   * `purpose` names the thread and the log lines: the same thread carries SCTP over UDP for
   * SIGTRAN (ss7/sctp/relayed-socket.ts), with probes and edge refusals off and one inbound lane.
   */
  static async open(opts: UdpTransportOptions & { purpose?: string }): Promise<ThreadedUdpTransport> {
    const purpose = opts.purpose ?? 'sip';
    const data: ThreadData = {
      address: opts.address,
      port: opts.port,
      family: isIP(opts.address) === 6 ? 'udp6' : 'udp4',
      recvBufferBytes: opts.recvBufferBytes ?? 4 * 1024 * 1024,
      probeEveryMs: opts.probeEveryMs ?? 20,
      inbound: createRing(opts.ringBytes ?? 8 * 1024 * 1024),
      inboundNew: purpose === 'sip' ? createRing(opts.ringBytes ?? 8 * 1024 * 1024) : undefined,
      outbound: createRing(opts.ringBytes ?? 8 * 1024 * 1024),
      probes: new SharedArrayBuffer(8 + 8 * PROBE_SLOTS),
      edge: opts.edgeShedHeaders && { memory: createEdgeShedMemory(), overloadHeaders: opts.edgeShedHeaders },
    };
    const { thread, bound } = await ThreadedUdpTransport.start(data, purpose);
    return new ThreadedUdpTransport(thread, bound, opts.logger, purpose);
  }

  private static async start(data: ThreadData, purpose: string): Promise<{ thread: Thread; bound: { address: string; port: number } }> {
    const worker = startModuleWorker(siblingModule(import.meta.url, 'worker'), { name: `${purpose}-udp-io`, workerData: data });
    const what = `${purpose.toUpperCase()} UDP`;
    const bound = await new Promise<{ address: string; port: number }>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the ${what} I/O thread exited (code ${code}) before binding`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (e: ThreadEvent) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (e.type === 'bound') return resolve({ address: e.address, port: e.port });
        void worker.terminate();
        const detail = e.type === 'bind-error' ? e.message : `unexpected ${e.type}`;
        reject(e.type === 'bind-error' && e.code === 'EADDRINUSE' ? new SoftswitchError('SSW_ERR_PORT_IN_USE', `${what} ${data.address}:${data.port}`) : new Error(`${what} socket: ${detail}`));
      });
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    const thread: Thread = {
      worker,
      inbound: new RingReader(data.inbound),
      inboundNew: data.inboundNew && new RingReader(data.inboundNew),
      outbound: new RingWriter(data.outbound),
      probeCount: new Int32Array(data.probes, 0, 1),
      probeSentAt: new Float64Array(data.probes, 8, PROBE_SLOTS),
      data,
    };
    return { thread, bound };
  }

  private watch(thread: Thread): void {
    thread.worker.on('message', (e: ThreadEvent) => {
      if (e.type === 'socket-error') this.logger.warn({ err: e.message }, `${this.purpose} udp socket error`);
      else if (e.type === 'send-errors') this.logger.warn({ to: e.to, err: e.message, failed: e.count }, `${this.purpose} udp sends failed`);
    });
    thread.worker.on('error', (err) => this.logger.error({ err }, `${this.purpose} udp I/O thread failed`));
    thread.worker.once('exit', (code) => {
      if (this.closed || thread !== this.thread) return;
      this.logger.error({ code, port: this.bound.port }, `${this.purpose} udp I/O thread exited; starting it again on the same port`);
      void this.restart();
    });
  }

  private async restart(): Promise<void> {
    const wait = Math.max(0, this.lastRestart + 1000 - Date.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.lastRestart = Date.now();
    if (this.closed) return;
    const data: ThreadData = {
      ...this.thread.data,
      address: this.bound.address,
      port: this.bound.port,
      inbound: createRing(this.thread.data.inbound.data.byteLength),
      inboundNew: this.thread.data.inboundNew && createRing(this.thread.data.inboundNew.data.byteLength),
      outbound: createRing(this.thread.data.outbound.data.byteLength),
      probes: new SharedArrayBuffer(8 + 8 * PROBE_SLOTS),
    };
    try {
      const { thread } = await ThreadedUdpTransport.start(data, this.purpose);
      if (this.closed) {
        await thread.worker.terminate();
        return;
      }
      this.droppedBefore = this.dropped;
      this.thread.inbound.interrupt();
      this.thread = thread;
      this.sourcesTold.clear();
      this.probe = new ReceiveQueueProbe();
      this.probesSeen = 0;
      this.watch(thread);
      this.waitForDatagrams();
      this.logger.info({ port: this.bound.port }, `${this.purpose} udp I/O thread started again`);
    } catch (err) {
      this.logger.error({ err, port: this.bound.port }, `${this.purpose} udp I/O thread could not be started again; retrying (check the port is free)`);
      void this.restart();
    }
  }

  private waitForDatagrams(): void {
    const thread = this.thread;
    void thread.inbound.sleep(thread.inboundNew && (() => thread.inboundNew!.pending)).then(() => {
      if (!this.closed && thread === this.thread) this.drain();
    });
  }

  /**
   * Takes up to BATCH records, work in progress first, and hands each to the stack in an immediate
   * of its own, as a socket's callbacks come one datagram at a time: Node runs pending microtasks
   * between immediates, so what a handler left to a promise (a listener attached after an await) is
   * in place before the next datagram, as with the socket on this thread. More records waiting are
   * taken in the next turn, after other I/O.
   */
  private readonly drain = (): void => {
    const { inbound, inboundNew } = (this.batchOf = this.thread);
    this.syncProbes();
    for (let n = 0; n < BATCH; n++) {
      const r = inbound.read() ?? inboundNew?.read();
      if (!r) break;
      setImmediate(this.deliver, r);
    }
    setImmediate(this.afterBatch);
  };

  private readonly deliver = (r: RingRecord): void => {
    if (this.closed) return;
    if (r.kind === PROBE) {
      if (r.payload.length === 4) this.probe.received(r.payload.readUInt32BE(0), sharedNow());
      return;
    }
    if (r.kind !== DATAGRAM) return;
    // Whatever a datagram (or an application listener it triggers) throws must not end the process.
    try {
      this.handler?.(r.payload, { address: r.address, port: r.port });
    } catch (err) {
      this.logger.error({ err, from: { address: r.address, port: r.port } }, `${this.purpose} datagram handler threw`);
    }
  };

  private readonly afterBatch = (): void => {
    // A thread started again meanwhile has a wait of its own on its ring.
    if (this.closed || this.batchOf !== this.thread) return;
    if (this.thread.inbound.pending || this.thread.inboundNew?.pending) this.drain();
    else this.waitForDatagrams();
  };

  /** Tells the probe of every probe the I/O thread has queued since last asked, in order. */
  private syncProbes(): void {
    const { probeCount, probeSentAt } = this.thread;
    const sent = Atomics.load(probeCount, 0);
    // Beyond the window of stamps kept, older ones are gone: the probe counts them lost anyway.
    if (sent - this.probesSeen > PROBE_SLOTS) {
      const skip = sent - this.probesSeen - PROBE_SLOTS;
      for (let i = 0; i < skip; i++) this.probe.sent(probeSentAt[(this.probesSeen + PROBE_SLOTS) % PROBE_SLOTS]);
      this.probesSeen += skip;
    }
    for (; this.probesSeen < sent; this.probesSeen++) this.probe.sent(probeSentAt[this.probesSeen % PROBE_SLOTS]);
  }

  /** How long a datagram arriving now waits before the main thread takes it (ms; undefined when probing is off). */
  queueDelayMs(): number | undefined {
    if (this.thread.data.probeEveryMs <= 0) return undefined;
    this.syncProbes();
    return this.probe.delayMs(sharedNow());
  }

  /** Probes lost: dropped because the inbound ring was full, or forgotten past the window. */
  get probesLost(): number {
    return this.probe.lost;
  }

  /** Datagrams dropped because a ring was full (received and not yet taken, or queued to send), since open. */
  get dropped(): number {
    const { inbound, inboundNew, outbound } = this.thread.data;
    return this.droppedBefore + ringRefusals(inbound) + (inboundNew ? ringRefusals(inboundNew) : 0) + ringRefusals(outbound);
  }

  get address(): string {
    return this.bound.address;
  }

  get port(): number {
    return this.bound.port;
  }

  /**
   * The main thread admitted a new INVITE from `source`: the I/O thread may shed that address's new
   * INVITEs for a while (told again every 10 s while it keeps being admitted).
   */
  sourceAdmitted(source: { address: string }): void {
    if (!this.edge) return;
    const now = Date.now();
    const told = this.sourcesTold.get(source.address);
    if (told !== undefined && now - told < SOURCE_RENEW_MS) return;
    if (this.sourcesTold.size >= MAX_SOURCES) this.sourcesTold.clear();
    this.sourcesTold.set(source.address, now);
    this.thread.worker.postMessage({ type: 'source-admitted', address: source.address, forMs: SOURCE_ADMITTED_MS });
  }

  onMessage(handler: (buf: Buffer, from: Endpoint) => void): void {
    this.handler = handler;
  }

  /** Queues one datagram for the I/O thread; a host name (in-dialog requests only) is looked up first. */
  send(buf: Buffer, to: Endpoint): void {
    if (this.closed) return;
    if (isIP(to.address)) {
      if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65535) {
        this.logger.warn({ to }, `${this.purpose} udp send refused: no such port`);
        return;
      }
      const { outbound } = this.thread;
      if (outbound.write(DATAGRAM, to.address, to.port, 0, buf)) outbound.wake();
      else if (Date.now() - this.dropLoggedAt >= 1000) {
        // One line a second at most: a full ring under a flood must not become a flood of log lines.
        this.dropLoggedAt = Date.now();
        this.logger.warn({ to, bytes: buf.length, dropped: this.dropped }, `${this.purpose} udp send queue full or datagram too large; dropped (${this.purpose === 'sip' ? 'softswitch_sip_udp_ring_dropped_total counts them: ' : ''}check CPU and offered load)`);
      }
      return;
    }
    sendOnceResolved(to, this.logger, (resolved) => this.send(buf, resolved));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { worker, inbound } = this.thread;
    inbound.interrupt();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      worker.on('message', (e: ThreadEvent) => {
        if (e.type !== 'closed') return;
        clearTimeout(timer);
        resolve();
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'close' });
    });
    await worker.terminate();
  }
}

/**
 * The SIP UDP socket's I/O thread: it binds the socket, copies each datagram it reads into an
 * inbound ring (stamped with the time it was read; for SIP, the ring of its lane: work in progress
 * or new work, lanes.ts) and sends what the main thread puts in the outbound ring. Reads never
 * wait for the main thread, so a busy main thread leaves datagrams queued in the rings, where the
 * wait of new work is measured (probes, as receive-queue-probe.ts does for a kernel queue), rather
 * than in the kernel's buffer. Reading and sending datagrams cost the main
 * thread a copy each instead of a system call.
 */
import { createSocket } from 'node:dgram';
import { setTimeout as pause } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { RingReader, RingWriter } from './ring.js';
import { systemClock } from '../../util/clock.js';
import { EdgeShed } from './edge-shed.js';
import { isNewWork } from './lanes.js';
import { DATAGRAM, PROBE, PROBE_SLOTS, sharedNow, type ThreadCommand, type ThreadData, type ThreadEvent } from './protocol.js';

const data = workerData as ThreadData;
const port = parentPort!;
const post = (e: ThreadEvent) => port.postMessage(e);

const inbound = new RingWriter(data.inbound);
/** The new-work lane (lanes.ts), or the one inbound ring. Writes to either wake the reader through `inbound`. */
const inboundNew = data.inboundNew ? new RingWriter(data.inboundNew) : inbound;
const outbound = new RingReader(data.outbound);
const probeCount = new Int32Array(data.probes, 0, 1);
const probeSentAt = new Float64Array(data.probes, 8, PROBE_SLOTS);

const socket = createSocket({ type: data.family, recvBufferSize: data.recvBufferBytes });
let bound = false;
let closing = false;

const edge = data.edge && new EdgeShed(systemClock, data.edge.memory, data.edge.overloadHeaders);
/** 'I' and 'A': INVITE and ACK, the only requests the edge looks at. */
const I = 0x49;
const A = 0x41;

socket.on('message', (buf, rinfo) => {
  if (edge && (buf[0] === I || buf[0] === A)) {
    const v = edge.handle(buf, rinfo);
    if (v.kind === 'absorb') return;
    if (v.kind === 'send') {
      send(v.bytes, v.to);
      return;
    }
  }
  const lane = inboundNew !== inbound && isNewWork(buf) ? inboundNew : inbound;
  if (lane.write(DATAGRAM, rinfo.address, rinfo.port, sharedNow(), buf)) inbound.wake();
});

socket.on('error', (err: NodeJS.ErrnoException) => {
  if (!bound) post({ type: 'bind-error', code: err.code, message: err.message });
  else post({ type: 'socket-error', message: err.message });
});

/** Send failures are reported at most once a second, with how many there were. */
let failed = 0;
let lastFailure: { to: { address: string; port: number }; message: string } | undefined;
const failureReport = setInterval(() => {
  if (failed === 0 || !lastFailure) return;
  post({ type: 'send-errors', count: failed, ...lastFailure });
  failed = 0;
}, 1000);
failureReport.unref();

function send(bytes: Uint8Array, to: { address: string; port: number }): void {
  socket.send(bytes, to.port, to.address, (err) => {
    if (!err) return;
    failed++;
    lastFailure = { to, message: err.message };
  });
}

function sendQueued(): void {
  for (let r = outbound.read(); r; r = outbound.read()) send(r.payload, { address: r.address, port: r.port });
}

/**
 * While the main thread keeps sending, this thread looks at the outbound ring every POLL_MS
 * instead of asking to be woken: a wake-up is an Atomics.notify on the main thread (a task posted
 * to this thread's loop), and under load it came several times per call (measured: 5.8 % of the
 * main thread's time at 1,100 calls/s). A send waits at most about POLL_MS more. After IDLE_POLLS
 * empty looks the thread sleeps until woken, so an idle switch costs nothing here.
 */
const POLL_MS = 1;
const IDLE_POLLS = 50;

async function sendLoop(): Promise<void> {
  let idle = 0;
  while (!closing) {
    if (outbound.pending) {
      sendQueued();
      idle = 0;
    } else if (idle >= IDLE_POLLS) {
      await outbound.sleep();
      idle = 0;
      continue;
    }
    idle++;
    await pause(POLL_MS);
  }
}

let probes: NodeJS.Timeout | undefined;
function probe(): void {
  const seq = Atomics.load(probeCount, 0);
  const at = sharedNow();
  const body = Buffer.allocUnsafe(4);
  body.writeUInt32BE(seq >>> 0, 0);
  probeSentAt[seq % PROBE_SLOTS] = at;
  Atomics.store(probeCount, 0, seq + 1);
  // A full ring drops the probe like a datagram: the main thread counts it lost. Probes measure the
  // wait of new work, which is what the overload gate sheds.
  if (inboundNew.write(PROBE, '', 0, at, body)) inbound.wake();
}

socket.bind(data.port, data.address, () => {
  bound = true;
  const a = socket.address();
  post({ type: 'bound', address: a.address, port: a.port });
  if (data.probeEveryMs > 0) probes = setInterval(probe, data.probeEveryMs);
  void sendLoop();
});

port.on('message', (cmd: ThreadCommand) => {
  if (cmd.type === 'source-admitted') {
    edge?.sourceAdmitted(cmd.address, cmd.forMs);
    return;
  }
  if (cmd.type !== 'close' || closing) return;
  closing = true;
  if (probes) clearInterval(probes);
  clearInterval(failureReport);
  sendQueued();
  outbound.interrupt();
  const done = () => post({ type: 'closed' });
  if (bound) closeWhenSent(done);
  else done();
});

/**
 * Closing at once would cancel the last sends (a dgram send waits a tick for its address lookup
 * before it reaches the socket's queue): an SCTP ABORT or SHUTDOWN COMPLETE, a SIP final answer.
 * Waits, bounded, for the queue to empty.
 */
function closeWhenSent(done: () => void, deadline = Date.now() + 200): void {
  setImmediate(() => {
    if (socket.getSendQueueCount() === 0 || Date.now() > deadline) socket.close(done);
    else closeWhenSent(done, deadline);
  });
}

/**
 * The SIP side of the soak, scripted by a seeded PRNG in virtual time: callers whose INVITEs
 * reach the trunk intake (they cancel, hang up, or never ACK), and called parties of DID
 * deliveries (they ring, answer, refuse, stay silent, or ring for ever). Both keep only what the
 * end-of-run checks need: dialogs still up and requests still without a final response.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../src/util/clock.js';
import {
  SipError,
  type CreateUacOptions,
  type CreateUasOptions,
  type Dialog,
  type DestroyInfo,
  type InboundRequest,
  type InviteResponder,
  type NameAddrInfo,
  type RequestResult,
  type SendOptions,
  type SignallingPort,
} from '../../src/sip/port.js';
import type { Rng } from './soak-rng.js';

const SDP = 'v=0\r\nc=IN IP4 192.0.2.10\r\nm=audio 4000 RTP/AVP 0\r\n';

/** What the SIP side did, for the report and the end-of-run checks. */
export class SipLedger {
  readonly dialogs = new Set<SoakDialog>();
  /** Inbound INVITEs without a final response yet. */
  readonly open = new Set<SoakInvite>();
  /** Outbound INVITEs whose promise has not settled yet. */
  readonly uacs = new Set<SoakUac>();
  readonly outcomes: Record<string, number> = {};
  /**
   * Calls (by SIP Call-ID) whose SIP party hung up before the switch released toward it: the
   * caller of an inbound INVITE ('uas') or the called party of a delivery ('uac'). Their CDR must
   * name that party as the one who released.
   */
  readonly partyReleased = new Map<string, 'uas' | 'uac'>();
  readonly violations: string[] = [];
  count(what: string): void {
    this.outcomes[what] = (this.outcomes[what] ?? 0) + 1;
  }
  violation(what: string): void {
    if (this.violations.length < 50) this.violations.push(what);
    this.count(`violation:${what.split(':')[0]}`);
  }
}

export class SoakDialog extends EventEmitter implements Dialog {
  readonly id: string;
  readonly localTag = 'l';
  readonly remoteTag = 'r';
  destroyed = false;

  constructor(
    readonly callId: string,
    readonly type: 'uas' | 'uac',
    readonly localSdp: string,
    readonly remoteSdp: string,
    private readonly clock: Clock,
    private readonly ledger: SipLedger,
    /** BYE round trip (ms). */
    private readonly rtt: () => number,
  ) {
    super();
    this.id = `${callId};l;r`;
    ledger.dialogs.add(this);
  }

  /** The soak's parties never send or take a new offer in the dialog. */
  modify(): Promise<string> {
    return Promise.reject(new SipError(488, 'Not Acceptable Here'));
  }

  /** Nor take requests inside it. */
  request(): Promise<RequestResult> {
    return Promise.resolve({ status: 405, reason: 'Method Not Allowed', get: () => undefined });
  }

  /** The switch's BYE: answered after a round trip. */
  destroy(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.destroyed = true;
    this.ledger.dialogs.delete(this);
    this.ledger.count(`${this.type}:bye-by-switch`);
    return new Promise((resolve) => this.clock.setTimeout(resolve, this.rtt()));
  }

  /** The far party's BYE, or no ACK (`by: 'failure'`). Ignored once the dialog is gone (BYEs crossed). */
  remoteEnd(info: DestroyInfo): void {
    if (this.destroyed) return void this.ledger.count(`${this.type}:bye-crossed`);
    this.destroyed = true;
    this.ledger.dialogs.delete(this);
    this.ledger.count(`${this.type}:${info.by === 'failure' ? 'ack-timeout' : 'bye-by-party'}`);
    this.ledger.partyReleased.set(this.callId, this.type);
    this.emit('destroy', info);
  }

  override off(event: string, listener: (...args: never[]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}

/** An INVITE from a trunk customer, and its server transaction as the port presents it. */
export class SoakInvite extends EventEmitter implements InboundRequest, InviteResponder {
  readonly method = 'INVITE';
  readonly uri: string;
  readonly from: NameAddrInfo;
  readonly to: NameAddrInfo;
  readonly body = SDP;
  readonly sourcePort = 5060;
  readonly protocol = 'udp' as const;
  canceled = false;
  finalResponseSent = false;
  final?: number;
  /** Set by the caller's script when the 200 reaches it. */
  onAnswered?: (d: SoakDialog) => void;

  constructor(
    readonly callId: string,
    readonly calledNumber: string,
    calling: string,
    readonly sourceAddress: string,
    private readonly ledger: SipLedger,
  ) {
    super();
    this.uri = `sip:${calledNumber}@switch`;
    this.from = { uri: `sip:${calling}@customer`, user: calling, tag: 'f' };
    this.to = { uri: this.uri, user: calledNumber };
    ledger.open.add(this);
  }

  get(): string | undefined {
    return undefined;
  }

  getAll(): string[] {
    return [];
  }

  send(status: number, _reason?: string, _opts?: SendOptions): void {
    if (this.finalResponseSent) return this.ledger.violation(`response after final: ${status} after ${this.final} (${this.callId})`);
    if (status >= 200) this.finalize(status);
  }

  finalize(status: number): void {
    this.finalResponseSent = true;
    this.final = status;
    this.ledger.open.delete(this);
    this.ledger.count(`uas-final:${status}`);
  }

  /** The caller's CANCEL: the port answers 200 and 487 itself, then tells the call (too late after a final). */
  cancel(): void {
    if (this.finalResponseSent) return void this.ledger.count('cancel-too-late');
    this.canceled = true;
    this.finalize(487);
    this.emit('cancel');
  }
}

/** How a called party (a DID's PBX) behaves. */
export type CalleeScript =
  | { kind: 'answer'; ringMs: number; answerMs: number; early: boolean; byeAfterMs?: number }
  | { kind: 'refuse'; ringMs?: number; atMs: number; status: number }
  | { kind: 'silent' }
  | { kind: 'ring-forever'; ringMs: number };

/** One INVITE the switch sent; the script plays the called party. */
export class SoakUac {
  readonly promise: Promise<Dialog>;
  private resolve!: (d: Dialog) => void;
  private reject!: (e: unknown) => void;
  private settled = false;
  private provisional = false;
  private aborted = false;
  private cancelSent = false;

  constructor(
    readonly uri: string,
    private readonly opts: CreateUacOptions,
    script: CalleeScript,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly ledger: SipLedger,
    private readonly callId: string,
  ) {
    this.promise = new Promise<Dialog>((a, b) => {
      this.resolve = a;
      this.reject = b;
    });
    ledger.uacs.add(this);
    opts.signal?.addEventListener('abort', () => {
      this.aborted = true;
      // RFC 3261 §9.1: CANCEL only once a provisional came; until then the stack waits.
      if (this.provisional) this.sendCancel();
    });
    this.play(script);
  }

  private at(ms: number, fn: () => void): void {
    this.clock.setTimeout(() => !this.settled && fn(), ms);
  }

  private play(s: CalleeScript): void {
    switch (s.kind) {
      case 'answer':
        this.at(s.ringMs, () => this.ring(s.early ? 183 : 180, s.early ? SDP : undefined));
        this.at(s.ringMs + s.answerMs, () => this.answer(s.byeAfterMs));
        return;
      case 'refuse':
        if (s.ringMs !== undefined) this.at(s.ringMs, () => this.ring(180));
        this.at((s.ringMs ?? 0) + s.atMs, () => this.fail(s.status));
        return;
      case 'silent':
        // Timer B (RFC 3261 §17.1.1.2): the stack gives up after 64*T1.
        this.at(32_000, () => this.fail(408));
        return;
      case 'ring-forever':
        this.at(s.ringMs, () => this.ring(180));
        return;
    }
  }

  private ring(status: number, sdp?: string): void {
    const first = !this.provisional;
    this.provisional = true;
    if (!this.aborted) this.opts.onProvisional?.({ status, reason: 'Ringing', sdp, get: () => undefined });
    else if (first) this.sendCancel();
  }

  private sendCancel(): void {
    if (this.cancelSent) return;
    this.cancelSent = true;
    this.ledger.count('uac:cancel');
    // The 487 comes back after a round trip, unless the party's final response crosses the CANCEL.
    this.at(this.rng.between(1, 30), () => this.fail(487));
  }

  private answer(byeAfterMs?: number): void {
    this.settled = true;
    this.ledger.uacs.delete(this);
    this.ledger.count(this.aborted ? 'uac:200-after-cancel' : 'uac:200');
    const d = new SoakDialog(this.callId, 'uac', this.opts.localSdp ?? '', SDP, this.clock, this.ledger, () => this.rng.between(1, 20));
    if (byeAfterMs !== undefined) this.clock.setTimeout(() => d.remoteEnd({ by: 'remote', reason: 'Q.850;cause=16' }), byeAfterMs);
    this.resolve(d);
  }

  private fail(status: number): void {
    this.settled = true;
    this.ledger.uacs.delete(this);
    this.ledger.count(`uac:${status}`);
    this.reject(new SipError(status, 'Failed', status === 486 ? 'Q.850;cause=17' : undefined));
  }
}

/** The signalling port of the soak: the trunk intake's INVITE handler and the DID deliveries' UACs. */
export class SoakSip implements SignallingPort {
  private handler?: (req: InboundRequest, res: InviteResponder) => void;
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
    readonly ledger: SipLedger,
    /** Picks the called party's behaviour for each INVITE the switch sends. */
    private readonly callee: (uri: string) => CalleeScript,
  ) {}

  onInvite(handler: (req: InboundRequest, res: InviteResponder) => void): void {
    this.handler = handler;
  }

  /** A trunk customer's INVITE arrives. */
  invite(inv: SoakInvite): void {
    this.handler!(inv, inv);
  }

  /** The 200 goes out after a short delay (a stack round trip); a CANCEL first makes it a 487. */
  createUAS(req: InboundRequest, _res: InviteResponder, opts: CreateUasOptions): Promise<Dialog> {
    const inv = req as SoakInvite;
    return new Promise<Dialog>((resolve, reject) => {
      this.clock.setTimeout(
        () => {
          if (inv.canceled) return reject(new SipError(487, 'Request Terminated'));
          if (inv.finalResponseSent) return reject(new Error(`200 after final ${inv.final}`));
          inv.finalize(200);
          const d = new SoakDialog(inv.callId, 'uas', opts.localSdp, inv.body, this.clock, this.ledger, () => this.rng.between(1, 20));
          resolve(d);
          inv.onAnswered?.(d);
        },
        this.rng.between(0.1, 15),
      );
    });
  }

  createUAC(uri: string, opts: CreateUacOptions): Promise<Dialog> {
    return new SoakUac(uri, opts, this.callee(uri), this.clock, this.rng, this.ledger, `uac-${++this.seq}`).promise;
  }

  /** Not used by the soak: no out-of-dialog requests, no other methods. */
  onRequest(): void {}
  async request(): Promise<{ status: number; reason: string; get(): undefined }> {
    return { status: 200, reason: 'OK', get: () => undefined };
  }
  async close(): Promise<void> {}
}

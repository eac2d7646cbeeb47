/**
 * In-memory ports for driving SipToIsupCall in virtual time: the far exchange on an MTP-TRANSFER
 * link (real ISUP codec both ways), a SIP signalling port, and a media gateway bearer port whose
 * answers the test releases when it chooses.
 */
import { EventEmitter } from 'node:events';
import { VirtualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import type { TrunkGroupConfig } from '../../src/class4/trunks/config.js';
import { BearerError, type BearerConnection, type BearerPort, type ConnectionMode, type CreateConnectionRequest, type EndpointAudit } from '../../src/mgcp/bearer-port.js';
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
import { CircuitGroup } from '../../src/ss7/isup/circuits.js';
import { decodeIsup, encodeIsup } from '../../src/ss7/isup/codec.js';
import { isIsupError, type IsupMessage } from '../../src/ss7/isup/messages.js';
import { IsupService } from '../../src/ss7/isup/service.js';
import type { MtpTransferLink } from '../../src/ss7/mtp3/transfer.js';
import type { ProtocolData } from '../../src/ss7/m3ua/messages.js';
import type { Cdr } from '../../src/store/cdr-store.js';
import type { CallRouter, RoutePlan } from '../../src/class4/routing/route-plan.js';
import { Call, type CallOptions } from '../../src/calls/call.js';
import type { IsupLegDeps } from '../../src/calls/legs/isup-deps.js';
import { SipInboundLeg } from '../../src/calls/legs/sip-inbound-leg.js';
import { lcrPlan } from '../../src/class4/intake/lcr-destinations.js';
import { callingNumber } from '../../src/class4/intake/trunk-intake.js';
import { endpointForCic } from '../../src/class4/trunks/endpoint-map.js';
import { trunkCustomerSchema } from '../../src/class4/trunks/config.js';
import { TrunkCustomerTable } from '../../src/class4/trunks/trunk-customers.js';
import { DidTable } from '../../src/class4/trunks/dids.js';
import { TargetHealth } from '../../src/class4/trunks/target-health.js';
import { targetKey } from '../../src/class4/intake/did-delivery.js';
import { PstnIntake } from '../../src/class4/intake/pstn-intake.js';
import { CallManager } from '../../src/calls/manager.js';
import type { OverloadGuard } from '../../src/class4/admission/overload.js';

export const OWN_PC = 0x010101;
export const FAR_PC = 0x020202;

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run (several rounds of microtasks and one macrotask). */
export const settle = () => new Promise<void>((r) => setImmediate(r));

export class FarExchange extends EventEmitter implements MtpTransferLink {
  readonly sent: IsupMessage[] = [];
  reachable = true;
  /** When false, sendTransfer refuses (the route vanished after the availability check). */
  accepting = true;
  sendTransfer(pd: ProtocolData): boolean {
    if (!this.accepting) return false;
    const m = decodeIsup(pd.data, 'ansi');
    if (isIsupError(m)) throw new Error(`switch sent undecodable ISUP: ${m.detail}`);
    this.sent.push(m);
    return true;
  }
  canReach(): boolean {
    return this.reachable;
  }
  deliver(msg: IsupMessage): void {
    this.emit('transfer', { opc: FAR_PC, dpc: OWN_PC, si: 5, ni: 2, mp: 0, sls: msg.cic & 0x1f, data: encodeIsup(msg, 'ansi') });
  }
  deliverRaw(data: Buffer): void {
    this.emit('transfer', { opc: FAR_PC, dpc: OWN_PC, si: 5, ni: 2, mp: 0, sls: 0, data });
  }
  types(cic?: number): string[] {
    return this.sent.filter((m) => cic === undefined || m.cic === cic).map((m) => m.type);
  }
}

export class FakeDialog extends EventEmitter implements Dialog {
  readonly id = `d${Math.random()}`;
  readonly callId = 'call-1';
  readonly type = 'uas' as const;
  readonly localTag = 'l';
  readonly remoteTag = 'r';
  destroyed = false;
  readonly byes: Array<Record<string, string> | undefined> = [];
  constructor(
    readonly localSdp: string,
    readonly remoteSdp = '',
  ) {
    super();
  }
  async destroy(opts?: { headers?: Record<string, string> }): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.byes.push(opts?.headers);
  }
  override off(event: string, listener: (...args: never[]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
  /** The caller's BYE (or an ACK timeout with by 'failure'). */
  remoteEnd(info: DestroyInfo = { by: 'remote' }): void {
    this.destroyed = true;
    this.emit('destroy', info);
  }
  /** Offers the switch sent in this dialog (re-INVITE/UPDATE); each answered by `answerOffer` (default: the test's `offerAnswer`). */
  readonly offers: string[] = [];
  /** What the far end answers to the switch's next offer: an SDP, or a SIP status to refuse with. */
  offerAnswer: string | number = 'v=0\r\nm=audio 7000 RTP/AVP 0\r\na=recvonly\r\n';
  /** Requests the switch sent in this dialog (NOTIFY of a refer subscription...), each answered 200. */
  readonly requests: Array<{ method: string; headers?: Record<string, string>; body?: string }> = [];
  async request(method: 'NOTIFY' | 'INFO', opts: { headers?: Record<string, string>; body?: string } = {}): Promise<RequestResult> {
    this.requests.push({ method, ...opts });
    return { status: 200, reason: 'OK', get: () => undefined };
  }
  async modify(sdp: string): Promise<string> {
    this.offers.push(sdp);
    const a = this.offerAnswer;
    if (typeof a === 'number') throw new SipError(a, 'Refused');
    return a;
  }
  /** The far end's re-INVITE with `sdp`; resolves with the switch's final response. */
  reinvite(sdp: string): Promise<{ status: number; body?: string }> {
    return new Promise((resolve) => {
      const req = { method: 'INVITE', body: sdp, get: () => undefined, getAll: () => [] } as unknown as InboundRequest;
      const res: InviteResponder = {
        finalResponseSent: false,
        send(status, _reason, opts) {
          if (status >= 200) resolve({ status, body: opts?.body });
        },
      };
      this.emit('modify', req, res);
    });
  }
}

export class FakeInvite extends EventEmitter implements InboundRequest, InviteResponder {
  readonly method = 'INVITE';
  readonly uri = 'sip:2125551234@switch';
  readonly callId = 'call-1';
  readonly from: NameAddrInfo = { uri: 'sip:3125550000@customer', user: '3125550000', tag: 'f' };
  readonly to: NameAddrInfo = { uri: 'sip:2125551234@switch', user: '2125551234' };
  readonly calledNumber = '2125551234';
  readonly body = 'v=0\r\nm=audio 4000 RTP/AVP 0\r\n';
  readonly sourceAddress = '192.0.2.10';
  readonly sourcePort = 5060;
  readonly protocol = 'udp' as const;
  canceled = false;
  finalResponseSent = false;
  readonly responses: number[] = [];
  get(): string | undefined {
    return undefined;
  }
  getAll(): string[] {
    return [];
  }
  send(status: number, _reason?: string, _opts?: SendOptions): void {
    if (this.finalResponseSent) throw new Error(`response ${status} after a final response`);
    this.responses.push(status);
    if (status >= 200) this.finalResponseSent = true;
  }
  /** CANCEL: the port answers 200 and 487 itself (port.ts), then tells the call. */
  cancel(): void {
    if (this.finalResponseSent) return;
    this.canceled = true;
    this.finalResponseSent = true;
    this.responses.push(487);
    this.emit('cancel');
  }
}

export class FakeSip implements SignallingPort {
  /** When set, createUAS waits for the test to call answerNow(). */
  holdAnswer = false;
  dialogs: FakeDialog[] = [];
  private held?: () => void;
  onInvite(): void {}
  onRequest(): void {}
  createUAS(req: InboundRequest, res: InviteResponder, opts: CreateUasOptions): Promise<Dialog> {
    const inv = req as FakeInvite;
    const go = (): Dialog => {
      if (inv.canceled) throw new SipError(487, 'Request Terminated');
      inv.responses.push(200);
      inv.finalResponseSent = true;
      const d = new FakeDialog(opts.localSdp);
      this.dialogs.push(d);
      return d;
    };
    if (!this.holdAnswer) return Promise.resolve().then(go);
    return new Promise<Dialog>((resolve, reject) => {
      this.held = () => {
        try {
          resolve(go());
        } catch (err) {
          reject(err);
        }
      };
    });
  }
  /** The 200 OK goes out now (a drachtio round trip finishing). */
  answerNow(): void {
    this.held?.();
    this.held = undefined;
  }
  /** INVITEs the switch sent (createUAC), each answered when the test says. */
  readonly uacs: FakeUac[] = [];
  createUAC(uri: string, opts: CreateUacOptions): Promise<Dialog> {
    const uac = new FakeUac(uri, opts, this);
    this.uacs.push(uac);
    return uac.promise;
  }
  /** OPTIONS probes and other out-of-dialog requests: answered 200 unless the test sets `requestStatus`. */
  requestStatus = 200;
  readonly requests: Array<{ uri: string; method: string }> = [];
  request(uri: string, opts: { method: string }): Promise<{ status: number; reason: string; get(): undefined }> {
    this.requests.push({ uri, method: opts.method });
    return Promise.resolve({ status: this.requestStatus, reason: 'Fake', get: () => undefined });
  }
  async close(): Promise<void> {}
}

/** One INVITE the switch sent: the test plays the called side. */
export class FakeUac {
  readonly promise: Promise<Dialog>;
  private resolve!: (d: Dialog) => void;
  private reject!: (e: unknown) => void;
  private provisional = false;
  canceled = false;
  dialog?: FakeDialog;
  constructor(
    readonly uri: string,
    readonly opts: CreateUacOptions,
    private readonly sip: FakeSip,
  ) {
    this.promise = new Promise<Dialog>((a, b) => {
      this.resolve = a;
      this.reject = b;
    });
    // Like the stacks: CANCEL only after a provisional; a canceled INVITE ends with 487.
    opts.signal?.addEventListener('abort', () => {
      this.canceled = true;
      if (this.provisional) this.reject(new SipError(487, 'Request Terminated'));
    });
  }
  ring(status = 180, sdp?: string): void {
    this.provisional = true;
    this.opts.onProvisional?.({ status, reason: 'Ringing', sdp, get: () => undefined });
  }
  answer(sdp = 'v=0\r\nm=audio 7000 RTP/AVP 0\r\n'): FakeDialog {
    const d = new FakeDialog(this.opts.localSdp ?? '', sdp);
    this.dialog = d;
    this.sip.dialogs.push(d);
    this.resolve(d);
    return d;
  }
  fail(status: number, reasonHeader?: string): void {
    this.reject(new SipError(status, 'Failed', reasonHeader));
  }
  get header(): Record<string, string> {
    return this.opts.headers ?? {};
  }
}

/** The SDP every fake gateway connection offers (a full description, as osmo-mgw writes one). */
export const GATEWAY_SDP = 'v=0\r\no=- 1 23 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

export class FakeBearer extends EventEmitter implements BearerPort {
  /** When set, CRCX waits for the test to call completeCreate(). */
  holdCreate = false;
  readonly live = new Map<string, BearerConnection>();
  readonly deleted: string[] = [];
  private next = 1;
  private held: Array<() => void> = [];
  createConnection(req: CreateConnectionRequest): Promise<BearerConnection> {
    const make = (): BearerConnection => {
      const c: BearerConnection = { endpoint: req.endpoint, connectionId: String(this.next++), callId: req.callId, mode: req.mode, localSdp: GATEWAY_SDP, gateway: 'gw' };
      this.live.set(c.connectionId, c);
      return c;
    };
    if (!this.holdCreate) return Promise.resolve().then(make);
    return new Promise((resolve) => this.held.push(() => resolve(make())));
  }
  completeCreate(): void {
    for (const f of this.held.splice(0)) f();
  }
  readonly modified: Array<{ connectionId: string; mode?: string; remoteSdp?: string }> = [];
  /** Modes refused with 517 as osmo-mgw 1.10 refuses "inactive". */
  readonly refusedModes = new Set<ConnectionMode>();
  /** When set, every MDCX is refused with this MGCP code. */
  refuseMdcx?: number;
  async modifyConnection(conn: BearerConnection, change: { mode?: ConnectionMode; remoteSdp?: string }): Promise<BearerConnection> {
    this.modified.push({ connectionId: conn.connectionId, ...change });
    if (change.mode && this.refusedModes.has(change.mode)) throw new BearerError('rejected', 'Unsupported or invalid mode', 517, 'gw', conn.endpoint, 'unsupported-mode');
    if (this.refuseMdcx) throw new BearerError('rejected', 'refused', this.refuseMdcx, 'gw', conn.endpoint, 'bad-session-description');
    return { ...conn, mode: change.mode ?? conn.mode };
  }
  async deleteConnection(conn: BearerConnection): Promise<void> {
    this.live.delete(conn.connectionId);
    this.deleted.push(conn.connectionId);
  }
  async auditEndpoint(endpoint: string): Promise<EndpointAudit> {
    return { endpoint, gateway: 'gw', connectionIds: [], details: {} };
  }
  async close(): Promise<void> {}
}

export function fixedRouter(trunkGroups: string[]): CallRouter {
  return {
    plan: (): RoutePlan => ({
      called: '2125551234',
      calledNai: 3,
      candidates: trunkGroups.map((tg, i) => ({ carrier: `c${i}`, trunkGroup: tg })),
      congested: false,
      advanceOn: () => true,
    }),
  };
}

/** One switch with one ANSI trunk group `tg` of `count` circuits from CIC 1, towards FAR_PC. */
export function lab(opts: { count?: number; ownPointCode?: number; withBearer?: boolean; secondGroup?: boolean } = {}) {
  const clock = new VirtualClock(1_700_000_000_000);
  const far = new FarExchange();
  const sip = new FakeSip();
  const bearer = opts.withBearer === false ? undefined : new FakeBearer();
  const count = opts.count ?? 4;
  const circuits = new CircuitGroup({ id: 'tg', firstCic: 1, count, ownPointCode: opts.ownPointCode ?? OWN_PC, farPointCode: FAR_PC });
  const circuits2 = new CircuitGroup({ id: 'tg2', firstCic: 101, count: 4, ownPointCode: opts.ownPointCode ?? OWN_PC, farPointCode: FAR_PC });
  const isup = new IsupService({
    link: far,
    ownPointCode: OWN_PC,
    networkIndicator: 2,
    trunkGroups: [{ id: 'tg', variant: 'ansi', farPointCode: FAR_PC, circuits }, ...(opts.secondGroup ? [{ id: 'tg2', variant: 'ansi' as const, farPointCode: FAR_PC, circuits: circuits2 }] : [])],
  });
  const tgConfig: TrunkGroupConfig = { id: 'tg', variant: 'ansi', dpc: '2-2-2', cics: { first: 1, count }, gateway: 'gw', endpoint: 'ds/{cic}@gw', circuitSelection: 'lru', transit: false };
  const cdrs: Cdr[] = [];
  const router = fixedRouter(['tg']);
  const isupLegs: IsupLegDeps = {
    isup,
    bearer,
    trunkGroup: (id: string) => (id === 'tg' ? { variant: 'ansi', endpointFor: (cic: number) => endpointForCic(tgConfig, cic) } : undefined),
    usable: (id: string) => isup.isAvailable(id),
    clock,
    logger: silentLogger,
    mediaAddress: '127.0.0.1',
  };
  const deps: CallOptions = { clock, logger: silentLogger, writeCdr: (c: Cdr) => cdrs.push(c) };
  const start = (invite = new FakeInvite()) => {
    const callId = `call-${Math.random().toString(16).slice(2)}`;
    const party = { called: invite.calledNumber, calling: callingNumber(invite) };
    const leg = new SipInboundLeg({ sip, logger: silentLogger, mediaAddress: '127.0.0.1' }, invite, invite, party);
    const call = new Call(leg, lcrPlan(router, isupLegs, callId, { party, customer: 'cust', direction: 'sip-to-isup' }), deps, callId);
    let ended = false;
    const done = call.start().then(() => {
      ended = true;
    });
    return { call, invite, done, isEnded: () => ended };
  };
  return { clock, far, sip, bearer, circuits, circuits2, isup, deps, cdrs, start };
}

/**
 * The switch taking calls from the far exchange (IAM → DID → SIP target), with one DID customer
 * whose targets are `targets` (host:port strings), and transit toward `tg` enabled when asked.
 */
export function labIncoming(opts: { targets?: string[]; transit?: boolean; count?: number; unreachableCause?: 20 | 34; withBearer?: boolean; maxCalls?: number; overload?: (clock: VirtualClock) => OverloadGuard } = {}) {
  const l = lab({ count: opts.count ?? 8, withBearer: opts.withBearer, secondGroup: opts.transit });
  const targets = (opts.targets ?? ['10.0.0.1:5060']).map((t) => ({ host: t.split(':')[0], port: Number(t.split(':')[1]), transport: 'udp' as const, weight: 1 }));
  const customers = [
    trunkCustomerSchema.parse({
      id: 'pbx',
      sources: ['10.0.0.0/8'],
      maxCalls: opts.maxCalls ?? 10,
      unreachableCause: opts.unreachableCause ?? 34,
      dids: [{ range: { from: '2125550100', to: '2125550199' }, targets }],
    }),
  ];
  const table = new TrunkCustomerTable(customers);
  const health = new TargetHealth(targets.map(targetKey), undefined, l.clock, silentLogger, 0, 1);
  const calls = new CallManager(l.deps);
  const isupLegs: IsupLegDeps = {
    isup: l.isup,
    bearer: l.bearer,
    trunkGroup: (id: string) => (id === 'tg' || id === 'tg2' ? { variant: 'ansi', endpointFor: (cic: number) => `ds/${cic}@gw` } : undefined),
    usable: (id: string) => l.isup.isAvailable(id),
    clock: l.clock,
    logger: silentLogger,
    mediaAddress: '127.0.0.1',
  };
  const overload = opts.overload?.(l.clock);
  const intake = new PstnIntake({
    overload,
    isup: l.isup,
    calls,
    dids: new DidTable(customers),
    isupLegs,
    router: fixedRouter(['tg', 'tg2']),
    transit: () => opts.transit ?? false,
    customer: (id) => table.byId(id),
    logger: silentLogger,
    delivery: { sip: l.sip, clock: l.clock, logger: silentLogger, health, localHost: '192.0.2.1', noResponseMs: 2000, answerTimeoutMs: 60_000 },
  });
  intake.listen();
  return { ...l, calls, health, intake, overload };
}

/** A confirmed INVITE dialog (RFC 3261 §12) as the call layer sees it, plus the state the core keeps. */
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../util/clock.js';
import type { AckInfo, Dialog, DestroyInfo, InDialogMethod, InDialogRequestOptions, InboundRequest, InviteResponder, ModifyOptions, RequestResponder, RequestResult } from './port.js';
import type { Endpoint, SipRequest, SipResponse } from './message.js';

export interface DialogState {
  type: 'uas' | 'uac';
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From/To header value for our side, with our tag (§12.2.1.1). */
  localParty: string;
  remoteParty: string;
  /** Remote Contact URI (§12.1.1, §12.1.2). */
  remoteTarget: string;
  /** Route set, in the order it is put in Route headers (§12.1.1 UAS keeps order, §12.1.2 UAC reverses). */
  routeSet: string[];
  localSeq: number;
  remoteSeq: number;
  localSdp: string;
  remoteSdp: string;
  /** The TCP/TLS connection the dialog was set up over; its requests reuse it while it is open. */
  flow?: Endpoint;
}

/** §13.3.1.4: a 2xx the UAS retransmits until the ACK arrives. */
export interface Pending2xx {
  res: SipResponse;
  dest: Endpoint;
  cseq: number;
  interval: number;
  started: number;
  timer?: TimerHandle;
}

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId};${localTag};${remoteTag}`;
}

/** What the UA core does for a dialog's own requests. */
export interface DialogOps {
  terminate(d: SipDialog, headers: Record<string, string>): Promise<void>;
  modify(d: SipDialog, sdp: string, opts: ModifyOptions): Promise<string>;
  request(d: SipDialog, method: InDialogMethod, opts: InDialogRequestOptions): Promise<RequestResult>;
}

export class SipDialog extends EventEmitter implements Dialog {
  readonly id: string;
  destroyed = false;
  pending2xx: Pending2xx | undefined;
  /** UAC: the ACK for the 2xx, re-sent when the 2xx is retransmitted (§13.2.2.4). */
  ack: { req: SipRequest; dest: Endpoint } | undefined;
  /** An offer we sent (re-INVITE or UPDATE) that has no final response yet: a crossing offer gets 491 (§14.2). */
  offerOut = false;
  /** A re-INVITE or UPDATE from the far end that we have not finally answered yet (§14.2: a second one gets 500). */
  offerIn = false;
  /** The 2xx of the last INVITE carried our offer: the ACK must bring the answer (RFC 3264 §4). */
  awaitingAnswerInAck = false;
  /** RFC 4028 session timer: the interval, whether we refresh, and the pending refresh or expiry. */
  session: { seS: number; weRefresh: boolean; timer?: TimerHandle } | undefined;

  constructor(
    readonly state: DialogState,
    private readonly ops: DialogOps,
  ) {
    super();
    this.id = dialogId(state.callId, state.localTag, state.remoteTag);
  }

  get callId(): string {
    return this.state.callId;
  }
  get type(): 'uas' | 'uac' {
    return this.state.type;
  }
  get localTag(): string {
    return this.state.localTag;
  }
  get remoteTag(): string {
    return this.state.remoteTag;
  }
  get localSdp(): string {
    return this.state.localSdp;
  }
  get remoteSdp(): string {
    return this.state.remoteSdp;
  }

  destroy(opts: { headers?: Record<string, string> } = {}): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return this.ops.terminate(this, opts.headers ?? {});
  }

  modify(sdp: string, opts: ModifyOptions = {}): Promise<string> {
    return this.ops.modify(this, sdp, opts);
  }

  request(method: InDialogMethod, opts: InDialogRequestOptions = {}): Promise<RequestResult> {
    return this.ops.request(this, method, opts);
  }

  override on(event: 'destroy', listener: (info: DestroyInfo) => void): this;
  override on(event: 'ack', listener: (info?: AckInfo) => void): this;
  override on(event: 'modify', listener: (req: InboundRequest, res: InviteResponder) => void): this;
  override on(event: 'refer', listener: (req: InboundRequest, res: RequestResponder) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override off(event: string, listener: (...args: never[]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}

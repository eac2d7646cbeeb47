/**
 * The call layer's only view of SIP: primitives shaped like drachtio-srf (request handler,
 * createUAS, createUAC, Dialog), implemented by the embedded RFC 3261 stack and by drachtio-srf.
 */

export interface NameAddrInfo {
  /** The URI inside the name-addr, e.g. `sip:+4930123@192.0.2.1`. */
  uri: string;
  /** User part of the URI (undecoded), or '' when absent. */
  user: string;
  /** The `tag` parameter, or undefined. */
  tag?: string;
  displayName?: string;
}

export interface InboundRequest {
  readonly method: string;
  readonly uri: string;
  readonly callId: string;
  readonly from: NameAddrInfo;
  readonly to: NameAddrInfo;
  /** User part of the Request-URI. */
  readonly calledNumber: string;
  /** First value of the named header (any case, compact forms accepted), or undefined. */
  get(name: string): string | undefined;
  /** Every value of the header, comma-separated lists split per RFC 3261 §7.3.1. */
  getAll(name: string): string[];
  /** Message body as text (SDP for INVITE), '' when none. */
  readonly body: string;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly protocol: 'udp' | 'tcp' | 'tls';
  /** Fires once if the caller sends CANCEL before a final response (the port has already answered 200/487). */
  on(event: 'cancel', listener: () => void): this;
  off(event: 'cancel', listener: () => void): this;
  readonly canceled: boolean;
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: string;
}

export interface InviteResponder {
  /**
   * Sends a provisional (101–199) or failure (300–699) response. 2xx goes through
   * `SignallingPort.createUAS` so that a Dialog exists (an initial INVITE); for an offer inside a
   * dialog (the Dialog's 'modify' event) 200 is sent here, with the answer SDP as body. A body is
   * sent as application/sdp unless `Content-Type` is given in headers.
   */
  send(status: number, reason?: string, opts?: SendOptions): void;
  readonly finalResponseSent: boolean;
}

export interface DestroyInfo {
  /**
   * Who ended the dialog: the far end's BYE, or a protocol failure (no ACK within 64*T1,
   * RFC 3261 §13.3.1.4). A local destroy() does not emit 'destroy'.
   */
  by: 'remote' | 'failure';
  /** The BYE's Reason header values joined with ', ' (e.g. `Q.850;cause=16`), when present. */
  reason?: string;
  /** The BYE's headers via get(), when `by` is 'remote'. */
  get?(name: string): string | undefined;
}

export interface Dialog {
  /** Unique within the port: Call-ID;local-tag;remote-tag. */
  readonly id: string;
  readonly callId: string;
  readonly type: 'uas' | 'uac';
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localSdp: string;
  readonly remoteSdp: string;
  readonly destroyed: boolean;
  /** Sends BYE (with extra headers, e.g. Reason) and resolves when it is answered or times out. */
  destroy(opts?: { headers?: Record<string, string> }): Promise<void>;
  on(event: 'destroy', listener: (info: DestroyInfo) => void): this;
  /** The ACK of a 2xx we sent; `sdp` is the answer it carries after an offer of ours in that 2xx (RFC 3264 §4, delayed offer). */
  on(event: 'ack', listener: (info?: AckInfo) => void): this;
  /**
   * An offer inside the dialog (re-INVITE, RFC 3261 §14.2; UPDATE, RFC 3311 §5.2), or a re-INVITE
   * without SDP asking for our offer (then `req.body` is ''; the 200 carries our offer and the answer
   * comes in the ACK). The listener answers once through `res`: 200 with the answer (or offer) SDP,
   * or 488/491/500. Without a listener the stack answers with the current local SDP (a refresh).
   * Glare (an offer of ours pending, RFC 3261 §14.2) is answered 491 by the stack before any listener.
   */
  on(event: 'modify', listener: (req: InboundRequest, res: InviteResponder) => void): this;
  /**
   * A REFER inside the dialog (RFC 3515 §2.4.2), answered once through `res` (202, or a refusal).
   * Without a listener the stack answers 405 with Allow.
   */
  on(event: 'refer', listener: (req: InboundRequest, res: RequestResponder) => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
  /**
   * Sends a non-INVITE request inside the dialog (RFC 3261 §12.2.1.1: its route set, remote target,
   * next CSeq), e.g. the NOTIFY of a refer subscription (RFC 3515 §2.4.4). Resolves with the final
   * response, a local 408 on timeout or 481 when the dialog is gone; never rejects for a SIP outcome.
   */
  request(method: InDialogMethod, opts?: InDialogRequestOptions): Promise<RequestResult>;
  /**
   * Sends a new offer in the dialog (re-INVITE, or UPDATE with `method`) and resolves with the far
   * end's answer SDP once the 2xx is in (ACK sent). Rejects with SipError: 491 on glare (RFC 3261
   * §14.1; the local SDP stays as it was), any other failure status, 408 when nothing answers.
   */
  modify(sdp: string, opts?: ModifyOptions): Promise<string>;
}

/** Non-INVITE requests an application sends inside a dialog (BYE is `destroy`, offers are `modify`). */
export type InDialogMethod = 'NOTIFY' | 'INFO';

export interface InDialogRequestOptions {
  headers?: Record<string, string>;
  body?: string;
  /** Content type of the body (default text/plain). */
  contentType?: string;
}

export interface AckInfo {
  /** SDP in the ACK (the answer to an offer we put in the 2xx), when present. */
  sdp?: string;
}

export interface ModifyOptions {
  /** 'INVITE' (default) or 'UPDATE' (RFC 3311). */
  method?: 'INVITE' | 'UPDATE';
  headers?: Record<string, string>;
}

export interface ProvisionalInfo {
  status: number;
  reason: string;
  /** SDP of an early-media provisional (183/180 with body), when present. */
  sdp?: string;
  get(name: string): string | undefined;
}

export interface CreateUacOptions {
  localSdp?: string;
  headers?: Record<string, string>;
  /** From URI (`sip:user@host`) or just the user part. */
  from?: string;
  /** To URI; defaults to the request URI. */
  to?: string;
  onProvisional?: (info: ProvisionalInfo) => void;
  /**
   * Aborting sends CANCEL (after the first provisional, RFC 3261 §9.1); the promise then rejects with SipError 487.
   * A string abort reason is an RFC 3326 Reason value for the CANCEL (e.g. `SIP;cause=200;text="Call completed elsewhere"`).
   */
  signal?: AbortSignal;
  /**
   * With no final response this long, the attempt is given up: the promise rejects with SipError(408)
   * and CANCEL is sent once a provisional response has arrived (at once if one already has, RFC 3261 §9.1).
   * A 2xx arriving after that is acknowledged and ended with BYE.
   */
  timeoutMs?: number;
}

/** Methods `SignallingPort.request` sends outside a dialog. */
export type OutOfDialogMethod = 'OPTIONS' | 'MESSAGE' | 'INFO' | 'NOTIFY';

export interface RequestOptions {
  method: OutOfDialogMethod;
  /** Extra headers (e.g. Event, Subscription-State, P-Asserted-Identity); a From here replaces ours and gets our tag. */
  headers?: Record<string, string>;
  /** Body; sent as text/plain unless headers carry Content-Type. */
  body?: string;
  /** Local give-up time; without a final response by then the result is 408 (default: Timer F, 64*T1 = 32 s). */
  timeoutMs?: number;
  /**
   * A request inside a dialog the application keeps itself (a subscription's NOTIFY, RFC 6665
   * §4.2.2): its Call-ID and CSeq; From (with the local tag) and To (with the remote tag) go in headers.
   */
  inDialog?: { callId: string; cseq: number };
  /**
   * Route set to send the request through, in order (RFC 3327 §5.3: the Path a contact registered
   * with); the request goes to the first entry (loose routing, RFC 3261 §16.12), the Request-URI stays.
   */
  route?: string[];
}

/** The final response to a request sent with `SignallingPort.request`, or a local 408 (timeout) / 503 (transport error). */
export interface RequestResult {
  status: number;
  reason: string;
  /** First value of a header of the response ('' headers of a local result are all undefined). */
  get(name: string): string | undefined;
}

/** Methods an application may take over with `SignallingPort.onRequest` (INVITE has `onInvite`; ACK, BYE, CANCEL belong to the stack). */
export type HandledMethod = 'REGISTER' | 'SUBSCRIBE' | 'NOTIFY' | 'MESSAGE' | 'INFO' | 'OPTIONS' | 'PUBLISH';

/** The answer side of a non-INVITE request: one final response, which may be preceded by none (§17.2.2). */
export interface RequestResponder {
  /** Sends the final response (200–699); extra headers may carry several values joined with ', ', or an array for repeated headers. */
  send(status: number, reason?: string, opts?: ResponseSendOptions): void;
  readonly finalResponseSent: boolean;
}

export interface ResponseSendOptions {
  /** An array value is sent as that many header lines (e.g. one WWW-Authenticate per algorithm, RFC 7616 §3.7). */
  headers?: Record<string, string | string[]>;
  body?: string;
  contentType?: string;
}

export interface CreateUasOptions {
  localSdp: string;
  headers?: Record<string, string>;
}

export interface SignallingPort {
  onInvite(handler: (req: InboundRequest, res: InviteResponder) => void): void;
  /**
   * Takes over a non-INVITE method, inside or outside a dialog (RFC 3261 §8.2): the handler must
   * answer once through the responder. A method with no handler keeps the stack's answer (405/501,
   * or 200 for OPTIONS).
   */
  onRequest(method: HandledMethod, handler: (req: InboundRequest, res: RequestResponder) => void): void;
  /** Answers 200 OK with localSdp; resolves with the Dialog once the 200 is sent; rejects with SipError(487) if canceled first. */
  createUAS(req: InboundRequest, res: InviteResponder, opts: CreateUasOptions): Promise<Dialog>;
  /** Sends INVITE; resolves on 2xx (ACK sent), rejects with SipError on a final failure or timeout (408). */
  createUAC(uri: string, opts: CreateUacOptions): Promise<Dialog>;
  /**
   * Sends a non-INVITE request outside any dialog and resolves with its final response (RFC 3261 §8.1,
   * §17.1.2). Never rejects for a SIP outcome: a local timeout resolves with 408 and a transport
   * failure with 503 (§8.1.3.1).
   */
  request(uri: string, opts: RequestOptions): Promise<RequestResult>;
  close(): Promise<void>;
}

/** A non-success final response to a request we sent (RFC 3261 §21.4–§21.6), or a local timeout (408). */
export class SipError extends Error {
  readonly status: number;
  readonly reason: string;
  /** Reason header of the response, e.g. `Q.850;cause=17`, when present. */
  readonly reasonHeader?: string;

  constructor(status: number, reason: string, reasonHeader?: string) {
    super(`SIP ${status} ${reason}`);
    this.name = 'SipError';
    this.status = status;
    this.reason = reason;
    this.reasonHeader = reasonHeader;
  }
}

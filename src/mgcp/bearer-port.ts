/**
 * The bearer port: how the call layer asks a media gateway for connections on its endpoints
 * (DS0s, RTP). Protocol-neutral: MGCP (RFC 3435) sits behind it today, H.248 can later.
 */

/** Media direction of a connection (RFC 3435 §3.2.2.6 / H.248.1 §7.1.7 streamMode). */
export type ConnectionMode = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' | 'loopback';

export interface BearerConnection {
  /** Specific endpoint the gateway used, e.g. "ds/ds1-1/3@tgw1" (never a wildcard). */
  readonly endpoint: string;
  readonly connectionId: string;
  readonly callId: string;
  readonly mode: ConnectionMode;
  /** The gateway's own session description (its RTP address and codecs). */
  readonly localSdp?: string;
  /** Name of the gateway in the configuration. */
  readonly gateway: string;
}

export interface CreateConnectionRequest {
  /** An endpoint name; a wildcard local part ("ds/ds1-1/$@tgw1") lets the gateway choose. */
  readonly endpoint: string;
  readonly callId: string;
  readonly mode: ConnectionMode;
  /** The far end's session description, when already known. */
  readonly remoteSdp?: string;
}

/**
 * A change to an existing connection (MGCP MDCX, RFC 3435 §2.3.6): hold and resume are mode
 * changes ("sendrecv" ⇄ "recvonly"/"sendonly"/"inactive"), a re-INVITE's new answer is `remoteSdp`.
 * Gateways differ in the modes they take: osmo-mgw 1.10 refuses "inactive" (`unsupported-mode`),
 * "recvonly" stops what it sends to the connection's far end.
 */
export interface ConnectionChange {
  readonly mode?: ConnectionMode;
  readonly remoteSdp?: string;
}

export interface EndpointAudit {
  readonly endpoint: string;
  readonly gateway: string;
  /** Connections the gateway reports on the endpoint (empty when it reports none). */
  readonly connectionIds: readonly string[];
  /** Other audited values by protocol name, first occurrence of each. */
  readonly details: Readonly<Record<string, string>>;
}

export interface RestartNotice {
  readonly gateway: string;
  /**
   * The endpoint named by the gateway; may hold wildcards ("*@tgw1" for the whole gateway,
   * "ds/ds1-3/*@tgw1" for a span): match calls' endpoints with `endpointMatches` (endpoint-name.ts).
   */
  readonly endpoint: string;
  /**
   * RFC 3435 §2.3.12: "restart" back in service (after `delaySeconds`), its connections lost;
   * "forced" out of service now, connections lost; "graceful" out of service after `delaySeconds`,
   * connections kept until then, create no new ones; "cancel-graceful" cancels a graceful one;
   * "disconnected" (§4.4.7) the endpoint lost contact with the call agent and regained it,
   * its connections may or may not survive: the audit that follows says.
   */
  readonly method: 'restart' | 'forced' | 'graceful' | 'disconnected' | 'cancel-graceful' | 'failover' | 'handoff';
  readonly delaySeconds?: number;
  /** True when the gateway says the endpoint's connections are gone (restart, forced): release their calls. */
  readonly connectionsLost?: boolean;
}

/** The audit (AuditEndpoint) sent after an RSIP "restart" or "disconnected", and its outcome. */
export interface RestartAuditNotice {
  readonly gateway: string;
  readonly endpoint: string;
  readonly method: RestartNotice['method'];
  readonly audit?: EndpointAudit;
  readonly error?: BearerError;
}

export interface UnreachableNotice {
  readonly gateway: string;
  readonly endpoint: string;
}

export interface BearerPortEvents {
  restart: [RestartNotice];
  /** After a restart notice for "restart" or "disconnected": what the endpoint reports now. */
  audited: [RestartAuditNotice];
  unreachable: [UnreachableNotice];
}

export type BearerErrorKind =
  /** The gateway refused; `code` and `text` are its return code and commentary. */
  | 'rejected'
  /** No answer within the retransmission budget. */
  | 'unreachable'
  /** The endpoint's domain names no configured gateway. */
  | 'unknown-gateway'
  /** The request cannot be expressed (bad endpoint name or session description). */
  | 'invalid'
  /** The port was closed. */
  | 'closed';

/** What a gateway's refusal means, whatever the protocol's code (`rejected` errors only). */
export type BearerRejectCause =
  /** Try again later (MGCP 4xx other than those below). */
  | 'transient'
  /** No free endpoint, port or bandwidth now (MGCP 403, 404, 409, 410) or for good (502, 526, 540). */
  | 'no-resources'
  /** The endpoint does not exist (MGCP 500). */
  | 'unknown-endpoint'
  /** The endpoint exists but is out of service or restarting (MGCP 405, 501, 520). */
  | 'endpoint-not-ready'
  /** The connection id is not one of the endpoint's (MGCP 515). */
  | 'unknown-connection'
  /** The call id does not match the endpoint's call (MGCP 516). */
  | 'unknown-call'
  /** The connection mode is not supported (MGCP 517). */
  | 'unsupported-mode'
  /** The mode needs the far end's session description, none was given (MGCP 527). */
  | 'missing-remote-sdp'
  /** The session description or codecs were refused (MGCP 505, 506, 509, 534, 535). */
  | 'bad-session-description'
  /** The gateway could not parse or does not support the request (MGCP 504, 507, 510, 511, 539, ...). */
  | 'protocol-error'
  | 'other';

export class BearerError extends Error {
  override readonly name = 'BearerError';

  constructor(
    readonly kind: BearerErrorKind,
    readonly text: string,
    /** The gateway's return code (MGCP 4xx/5xx, H.248 error code) for `rejected`. */
    readonly code?: number,
    readonly gateway?: string,
    readonly endpoint?: string,
    /** For `rejected`: the protocol-neutral meaning of `code`. */
    readonly rejectCause?: BearerRejectCause,
  ) {
    super(`${kind}${code !== undefined ? ` ${code}` : ''}${rejectCause ? ` ${rejectCause}` : ''}: ${text}${endpoint ? ` (${endpoint})` : ''}`);
  }

  /** A transient refusal (MGCP 4xx) that may succeed if retried later. */
  get transient(): boolean {
    return this.kind === 'unreachable' || (this.code !== undefined && this.code >= 400 && this.code < 500);
  }
}

export interface BearerPort {
  createConnection(req: CreateConnectionRequest): Promise<BearerConnection>;
  modifyConnection(conn: BearerConnection, change: ConnectionChange): Promise<BearerConnection>;
  deleteConnection(conn: BearerConnection): Promise<void>;
  auditEndpoint(endpoint: string): Promise<EndpointAudit>;
  on<K extends keyof BearerPortEvents>(event: K, listener: (...args: BearerPortEvents[K]) => void): this;
  off<K extends keyof BearerPortEvents>(event: K, listener: (...args: BearerPortEvents[K]) => void): this;
  close(): Promise<void>;
}

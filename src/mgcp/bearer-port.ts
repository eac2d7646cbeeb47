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
  /** May be a wildcard ("*@tgw1") when the whole gateway restarts. */
  readonly endpoint: string;
  /** "graceful" | "forced" | "restart" | "disconnected" | "cancel-graceful" (RFC 3435 §2.3.12). */
  readonly method: string;
  readonly delaySeconds?: number;
}

export interface UnreachableNotice {
  readonly gateway: string;
  readonly endpoint: string;
}

export interface BearerPortEvents {
  restart: [RestartNotice];
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

export class BearerError extends Error {
  override readonly name = 'BearerError';

  constructor(
    readonly kind: BearerErrorKind,
    readonly text: string,
    /** The gateway's return code (MGCP 4xx/5xx, H.248 error code) for `rejected`. */
    readonly code?: number,
    readonly gateway?: string,
    readonly endpoint?: string,
  ) {
    super(`${kind}${code !== undefined ? ` ${code}` : ''}: ${text}${endpoint ? ` (${endpoint})` : ''}`);
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

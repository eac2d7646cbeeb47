/**
 * The media of one ISUP circuit: a connection on the circuit's gateway endpoint (a DS0 on a
 * TDM gateway), made, changed and deleted through the protocol-neutral bearer port.
 */
import type { Logger } from '../../util/log.js';
import { BearerError, type BearerConnection, type BearerPort, type ConnectionMode } from '../../mgcp/bearer-port.js';

export class CircuitBearer {
  private conn?: BearerConnection;
  /** The endpoint of the last connection, kept for the CDR after deletion. */
  endpointSeen?: string;

  constructor(
    private readonly port: BearerPort,
    private readonly endpoint: string,
    private readonly callId: string,
    private readonly log: Logger,
  ) {}

  get connection(): BearerConnection | undefined {
    return this.conn;
  }

  /** CRCX: the gateway's SDP. Rejects with the BearerError. */
  async create(mode: ConnectionMode, remoteSdp?: string): Promise<BearerConnection> {
    const conn = await this.port.createConnection({ endpoint: this.endpoint, callId: this.callId, mode, remoteSdp });
    this.conn = conn;
    this.endpointSeen = conn.endpoint;
    this.log.info({ endpoint: conn.endpoint, connectionId: conn.connectionId }, 'bearer connection created');
    return conn;
  }

  /** MDCX with the far side's SDP and/or a new mode; failures are logged (the call goes on). */
  async modify(change: { mode?: ConnectionMode; remoteSdp?: string }): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    try {
      this.conn = await this.port.modifyConnection(conn, change);
    } catch (err) {
      this.log.warn({ err: err instanceof BearerError ? err.message : err, endpoint: conn.endpoint }, 'MDCX failed; media may not flow on this call');
    }
  }

  /** DLCX; never rejects. */
  async delete(): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    try {
      await this.port.deleteConnection(conn);
      this.log.info({ endpoint: conn.endpoint, connectionId: conn.connectionId }, 'bearer connection deleted');
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : err, endpoint: conn.endpoint }, 'DLCX failed; the gateway may hold the connection until audited');
    }
  }
}

/** An MGCP/H.248 call id from the switch's call id (32 hex digits at most, RFC 3435 §3.2.2.2). */
export function bearerCallId(callId: string): string {
  return callId.replaceAll('-', '').slice(0, 32);
}

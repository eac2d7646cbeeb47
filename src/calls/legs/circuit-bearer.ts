/**
 * The media of one ISUP circuit: a connection on the circuit's gateway endpoint (a DS0 on a
 * TDM gateway), made, changed and deleted through the protocol-neutral bearer port.
 */
import type { Logger } from '../../util/log.js';
import { BearerError, type BearerConnection, type BearerPort, type ConnectionMode } from '../../mgcp/bearer-port.js';
import { answerWithDirection, directionOf, fallbackMode, gatewayModeFor, mirror } from '../sdp-direction.js';
import { OfferRefused } from './leg.js';

export class CircuitBearer {
  private conn?: BearerConnection;
  /** The endpoint of the last connection, kept for the CDR after deletion. */
  endpointSeen?: string;
  /** The SDP of ours the far party holds last (the gateway's, then each answer): the next answer's origin follows it. */
  private lastGiven?: string;

  constructor(
    private readonly port: BearerPort,
    private readonly endpoint: string,
    private readonly callId: string,
    private readonly log: Logger,
  ) {}

  get connection(): BearerConnection | undefined {
    return this.conn;
  }

  /** Our SDP as the far party holds it last (the gateway's, or the last answer): what a transfer offers the new far end. */
  get given(): string | undefined {
    return this.conn ? this.lastGiven : undefined;
  }

  /** CRCX: the gateway's SDP. Rejects with the BearerError. */
  async create(mode: ConnectionMode, remoteSdp?: string): Promise<BearerConnection> {
    const conn = await this.port.createConnection({ endpoint: this.endpoint, callId: this.callId, mode, remoteSdp });
    this.conn = conn;
    this.lastGiven = conn.localSdp;
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

  /**
   * A new offer from the far party on the answered call (hold, resume, codec or address change):
   * MDCX with the offer as the remote SDP and the mode that mirrors its direction (RFC 3264 §6.1),
   * falling back from a mode the gateway refuses (osmo-mgw has no "inactive"); resolves with the
   * answer: the gateway's SDP with the mirrored direction. Rejects with OfferRefused: 488 when the
   * gateway refuses the description, 500 when it cannot be reached.
   */
  async renegotiate(offer: string): Promise<string> {
    const conn = this.conn;
    if (!conn) throw new OfferRefused(488, 'no gateway connection on this circuit');
    const direction = directionOf(offer);
    let mode = gatewayModeFor(direction);
    const mdcx = (m: ConnectionMode) => this.port.modifyConnection(conn, { mode: m, remoteSdp: offer });
    let updated: BearerConnection;
    try {
      try {
        updated = await mdcx(mode);
      } catch (err) {
        const fallback = fallbackMode(mode);
        if (!(err instanceof BearerError) || err.rejectCause !== 'unsupported-mode' || !fallback) throw err;
        this.log.info({ endpoint: conn.endpoint, refused: mode, using: fallback }, 'gateway has no such connection mode; using the nearest it has');
        mode = fallback;
        updated = await mdcx(mode);
      }
    } catch (err) {
      this.log.warn({ err: err instanceof BearerError ? err.message : err, endpoint: conn.endpoint, mode }, 'MDCX for a new offer failed; the offer is refused and media stays as it was');
      throw new OfferRefused(err instanceof BearerError && err.kind === 'rejected' ? 488 : 500, 'gateway refused the change');
    }
    if (this.conn === conn) this.conn = updated;
    this.log.info({ endpoint: conn.endpoint, direction, mode }, 'bearer connection modified for a new offer');
    const answer = answerWithDirection(updated.localSdp ?? conn.localSdp ?? '', mirror(direction), this.lastGiven);
    this.lastGiven = answer;
    return answer;
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

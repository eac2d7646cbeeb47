/**
 * A tap on the signalling a switch sends and receives: the protocol layers (SIP, ISUP, MGCP) hand
 * each message's raw bytes to an optional `MessageTap`, keyed so the call engine can claim them
 * (src/calls/call-trail.ts). Nothing here keeps state; a layer with no tap pays one property check.
 */

export type TapProtocol = 'sip' | 'isup' | 'mgcp' | 'megaco';

export interface TapAddress {
  readonly address: string;
  readonly port: number;
}

/** The MTP3 routing label and service indicator of an ISUP message (for an M3UA DATA wrapper). */
export interface TapMtpLabel {
  readonly opc: number;
  readonly dpc: number;
  readonly si: number;
  readonly ni: number;
  readonly mp: number;
  readonly sls: number;
}

export interface TappedMessage {
  /** What the message belongs to (tapKey.*): a SIP Call-ID, an ISUP circuit, an MGCP call id. */
  readonly key: string;
  readonly protocol: TapProtocol;
  /** Seen from the switch: 'in' received, 'out' sent. */
  readonly dir: 'in' | 'out';
  /** The message as on the wire: SIP and MGCP text, the ISUP message (CIC onwards). */
  readonly bytes: Buffer;
  /** The switch's side and the peer's; absent when the layer does not know them. */
  readonly local?: TapAddress;
  readonly remote?: TapAddress;
  /** ISUP only: its routing label. */
  readonly mtp?: TapMtpLabel;
  /** ISUP: the signalling gateway (SG name) the message went through, when known. */
  readonly via?: string;
  /**
   * Set (true or false) on every message of a reusable key (an ISUP circuit): true for the message
   * that opens a new use of it (an IAM). Absent for keys used once (a SIP Call-ID, a bearer call id).
   */
  readonly opens?: boolean;
}

export type MessageTap = (m: TappedMessage) => void;

/** The keys every layer and the call engine agree on. */
export const tapKey = {
  sip: (callId: string): string => `sip:${callId}`,
  circuit: (trunkGroup: string, cic: number): string => `isup:${trunkGroup}/${cic}`,
  /** An MGCP/H.248 call id (RFC 3435 §3.2.2.2), lower-cased: gateways echo it in any case. */
  mgcp: (bearerCallId: string): string => `mgcp:${bearerCallId.toLowerCase()}`,
} as const;

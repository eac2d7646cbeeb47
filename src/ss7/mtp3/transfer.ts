import type { EventEmitter } from 'node:events';

/**
 * The parameters of an MTP-TRANSFER request/indication (Q.704 §14.2, Q.701 §8): routing label,
 * service information octet fields and the user part's message. M3UA carries them in its
 * Protocol Data parameter (RFC 4666 §3.3.1.1); ISUP sees only this.
 */
export interface MtpTransferData {
  opc: number;
  dpc: number;
  /** Service indicator (Q.704 §14.2.1), e.g. 5 for ISUP. */
  si: number;
  /** Network indicator (Q.704 §14.2.2). */
  ni: number;
  /** Message priority (ANSI; 0 in ITU networks). */
  mp: number;
  /** Signalling link selection. */
  sls: number;
  data: Buffer;
}

/**
 * The MTP-TRANSFER service ISUP needs (Q.704 §2 primitives as M3UA carries them): send an MSU,
 * receive 'transfer' (pd: MtpTransferData). Implemented by M3UA's ASP side (the switch) and SG side
 * (the tandem simulator) through small adapters; ISUP never sees M3UA otherwise.
 */
export interface MtpTransferLink extends EventEmitter {
  sendTransfer(pd: MtpTransferData): boolean;
  /** Whether MSUs can be sent toward the point code now (link active, destination available). */
  canReach(pointCode: number): boolean;
}

/** Service indicator of ISUP in the SIO (Q.704 §14.2.1). */
export const SI_ISUP = 5;

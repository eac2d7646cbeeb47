import type { EventEmitter } from 'node:events';
import type { ProtocolData } from '../m3ua/messages.js';

/**
 * The MTP-TRANSFER service ISUP needs (Q.704 §2 primitives as M3UA carries them): send an MSU,
 * receive 'transfer' (pd: ProtocolData). Implemented by M3UA's ASP side (the switch) and SG side
 * (the tandem simulator) through small adapters; ISUP never sees M3UA otherwise.
 */
export interface MtpTransferLink extends EventEmitter {
  sendTransfer(pd: ProtocolData): boolean;
  /** Whether MSUs can be sent toward the point code now (link active, destination available). */
  canReach(pointCode: number): boolean;
}

/** Service indicator of ISUP in the SIO (Q.704 §14.2.1). */
export const SI_ISUP = 5;

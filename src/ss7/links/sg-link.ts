import { EventEmitter } from 'node:events';
import type { ProtocolData } from '../m3ua/messages.js';
import type { M3uaSg, SgTransferMeta } from '../m3ua/sg.js';
import type { MtpTransferLink } from '../mtp3/transfer.js';

/** MTP-TRANSFER over the SG side of M3UA (the tandem simulator's view of the switch's ASPs). */
export class SgTransferLink extends EventEmitter implements MtpTransferLink {
  private readonly onTransfer = (pd: ProtocolData, meta: SgTransferMeta) => this.emit('transfer', pd, meta);

  constructor(
    private readonly sg: M3uaSg,
    private readonly routingContext?: number,
  ) {
    super();
    sg.on('transfer', this.onTransfer);
  }

  sendTransfer(pd: ProtocolData): boolean {
    return this.sg.sendTransfer(pd, this.routingContext);
  }

  canReach(): boolean {
    return this.sg.asState(this.routingContext) === 'AS_ACTIVE';
  }

  close(): void {
    this.sg.off('transfer', this.onTransfer);
  }
}

/** A scripted M3UA peer over one end of a memory association: tests play the other side byte by byte. */
import { decodeM3ua, encodeM3ua } from '../../../src/ss7/m3ua/codec.js';
import { isDecodeError, type M3uaMessage } from '../../../src/ss7/m3ua/messages.js';
import type { MemoryAssociation } from './memory-association.js';

/** The message interface whose `type` union contains T. */
export type MessageOf<T extends M3uaMessage['type']> = M3uaMessage extends infer M ? (M extends { type: infer U } ? (T extends U ? M : never) : never) : never;

export class RawPeer {
  readonly inbox: Array<{ msg: M3uaMessage; stream: number }> = [];
  downReason: string | undefined;

  constructor(readonly assoc: MemoryAssociation) {
    assoc.on('message', (data: Buffer, stream: number) => {
      const m = decodeM3ua(data);
      if (isDecodeError(m)) throw new Error(`peer sent undecodable M3UA: ${m.reason}`);
      this.inbox.push({ msg: m, stream });
    });
    assoc.on('down', (r: string) => (this.downReason = r));
  }

  send(msg: M3uaMessage | Buffer, stream = 0): void {
    this.assoc.send(Buffer.isBuffer(msg) ? msg : encodeM3ua(msg), stream, 3);
  }

  /** Remove and return the first received message of this type (fails if none). */
  take<T extends M3uaMessage['type']>(type: T): MessageOf<T> {
    const i = this.inbox.findIndex((e) => e.msg.type === type);
    if (i < 0) throw new Error(`no ${type} received; inbox: ${this.inbox.map((e) => e.msg.type).join(',') || 'empty'}`);
    return this.inbox.splice(i, 1)[0].msg as MessageOf<T>;
  }

  count(type: M3uaMessage['type']): number {
    return this.inbox.filter((e) => e.msg.type === type).length;
  }

  drop(type: M3uaMessage['type']): void {
    for (let i = this.inbox.length - 1; i >= 0; i--) if (this.inbox[i].msg.type === type) this.inbox.splice(i, 1);
  }

  types(): string[] {
    return this.inbox.map((e) => e.msg.type);
  }
}

import type { M3uaMessage, ProtocolData } from '../../../src/ss7/m3ua/messages.js';

export const pd: ProtocolData = {
  opc: 11522,
  dpc: 12163,
  si: 5,
  ni: 2,
  mp: 0,
  sls: 7,
  /** ISUP RLC, CIC 213 (Q.763 §3.1, Table 34). */
  data: Buffer.from('d5001000', 'hex'),
};

/** One of every message type, with every parameter it can carry. */
export const samples: M3uaMessage[] = [
  { type: 'ERR', errorCode: 0x19, routingContext: [1042], networkAppearance: 8, affectedPointCodes: [{ mask: 0, pc: 300 }], diagnostic: Buffer.from('01000101', 'hex') },
  { type: 'NTFY', status: { type: 1, info: 3 }, aspIdentifier: 77, routingContext: [1023, 1042], infoString: 'as-active' },
  { type: 'DATA', networkAppearance: 8, routingContext: [1023], protocolData: pd, correlationId: 99 },
  { type: 'DUNA', networkAppearance: 8, routingContext: [1023], affectedPointCodes: [{ mask: 0, pc: 1234 }, { mask: 0, pc: 5678 }], infoString: 'x' },
  { type: 'DAVA', routingContext: [1023], affectedPointCodes: [{ mask: 0, pc: 1234 }] },
  { type: 'DAUD', affectedPointCodes: [{ mask: 0, pc: 42 }] },
  { type: 'SCON', routingContext: [1023], affectedPointCodes: [{ mask: 0, pc: 1234 }], concernedDestination: 23, congestionLevel: 2 },
  { type: 'DUPU', routingContext: [1023], affectedPointCodes: [{ mask: 0, pc: 1234 }], userCause: { cause: 1, user: 5 } },
  { type: 'DRST', affectedPointCodes: [{ mask: 0, pc: 1234 }] },
  { type: 'ASPUP', aspIdentifier: 0x01020304, infoString: 'softswitch' },
  { type: 'ASPDN' },
  { type: 'BEAT', heartbeatData: Buffer.from('a1a2a3a4a5', 'hex') },
  { type: 'ASPUP_ACK', aspIdentifier: 0x01020304 },
  { type: 'ASPDN_ACK', infoString: 'bye' },
  { type: 'BEAT_ACK', heartbeatData: Buffer.from('a1a2a3a4a5', 'hex') },
  { type: 'ASPAC', trafficMode: 2, routingContext: [1023] },
  { type: 'ASPIA', routingContext: [1023] },
  { type: 'ASPAC_ACK', trafficMode: 2, routingContext: [1023] },
  { type: 'ASPIA_ACK', routingContext: [1023] },
  {
    type: 'REG_REQ',
    routingKeys: [
      { localRkId: 1, routingContext: 220, trafficMode: 2, dpc: { mask: 0, pc: 22 }, networkAppearance: 8, serviceIndicators: [3, 5], opcList: [{ mask: 0, pc: 23 }] },
      { localRkId: 2, dpc: { mask: 0, pc: 0xaabbcc } },
    ],
  },
  { type: 'REG_RSP', registrationResults: [{ localRkId: 1, status: 0, routingContext: 220 }, { localRkId: 2, status: 5, routingContext: 0 }] },
  { type: 'DEREG_REQ', routingContext: [220, 221] },
  { type: 'DEREG_RSP', deregistrationResults: [{ routingContext: 220, status: 0 }, { routingContext: 221, status: 4 }] },
];

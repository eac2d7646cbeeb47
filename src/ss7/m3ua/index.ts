/** M3UA (RFC 4666): codec, ASP/AS state machines, ASP runner, SG for the lab, linkset. */
export { encodeM3ua, decodeM3ua, decodeM3uaLenient, messageName, MESSAGE_SPECS } from './codec.js';
export { type M3uaAlarm, type AspRequest, describeDiagnostic } from './alarms.js';
export * from './constants.js';
export * from './messages.js';
export { AspFsm, ASP_FSM, ASP_STATE_NAMES, type AspState, type AspEvent, type AspAction } from './asp-fsm.js';
export { AsFsm, AS_FSM, type AsState, type AsEvent, type AsAction } from './as-fsm.js';
export { M3uaAsp, type M3uaAspOptions, type TransferMeta } from './asp.js';
export { M3uaSg, type M3uaSgOptions, type SgAsConfig, type SgTransferMeta } from './sg.js';
export { M3uaLinkset } from './linkset.js';
export { DestinationTable, type DestinationState, type DestinationChange } from './destinations.js';

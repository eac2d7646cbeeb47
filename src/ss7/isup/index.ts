export { encodeIsup, decodeIsup, cicMask } from './codec.js';
export * from './messages.js';
export { MessageCode, ParamCode, Cause, CauseLocation, type IsupMessageType } from './constants.js';
export { messageTypes } from './layouts.js';
export { partyNumber, type PartyNumber, type GenericNumber, type GenericDigits, type SubsequentNumber } from './params/numbers.js';
export { causeIndicators, type CauseIndicators } from './params/cause.js';
export { rangeAndStatus, rangeStatusBits } from './params/indicators.js';
export type * from './params/indicators.js';
export type { NetworkIdentification } from './params/ansi.js';

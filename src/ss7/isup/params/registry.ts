import type { Variant } from '../../variant.js';
import type { OptionalParamName } from '../messages.js';
import { ParamCode } from '../constants.js';
import type { ParamCodec } from './types.js';
import { causeCodec } from './cause.js';
import {
  backwardCallCodec,
  eventInformationCodec,
  hopCounterCodec,
  octetNumberCodec,
  optionalBackwardCallCodec,
  rawCodec,
  redirectionInformationCodec,
  userServiceInformationCodec,
} from './indicators.js';
import { genericDigitsCodec, genericNumberCodec, partyNumberCodec } from './numbers.js';
import { carrierIdentificationCodec, jurisdictionCodec, transitNetworkSelectionCodec } from './ansi.js';

export interface OptionalParamEntry {
  name: OptionalParamName;
  code: number;
  codec: ParamCodec<any>;
  /** The codec's functions copied out, so every entry has one shape. */
  encode: ParamCodec<any>['encode'];
  decode: ParamCodec<any>['decode'];
}

type Row = [OptionalParamName, number, ParamCodec<unknown>, Variant | 'both'];

/** Optional parameters decoded to typed values, with the variants that define them. */
const ROWS: Row[] = [
  ['callingPartyNumber', ParamCode.CALLING_PARTY_NUMBER, partyNumberCodec as ParamCodec<unknown>, 'both'],
  ['redirectingNumber', ParamCode.REDIRECTING_NUMBER, partyNumberCodec as ParamCodec<unknown>, 'both'],
  ['redirectionNumber', ParamCode.REDIRECTION_NUMBER, partyNumberCodec as ParamCodec<unknown>, 'both'],
  ['originalCalledNumber', ParamCode.ORIGINAL_CALLED_NUMBER, partyNumberCodec as ParamCodec<unknown>, 'both'],
  ['connectedNumber', ParamCode.CONNECTED_NUMBER, partyNumberCodec as ParamCodec<unknown>, 'both'],
  ['locationNumber', ParamCode.LOCATION_NUMBER, partyNumberCodec as ParamCodec<unknown>, 'itu'],
  ['chargeNumber', ParamCode.CHARGE_NUMBER, partyNumberCodec as ParamCodec<unknown>, 'ansi'],
  ['genericNumber', ParamCode.GENERIC_NUMBER, genericNumberCodec as ParamCodec<unknown>, 'both'],
  ['genericDigits', ParamCode.GENERIC_DIGITS, genericDigitsCodec as ParamCodec<unknown>, 'both'],
  ['originatingLineInformation', ParamCode.ORIGINATING_LINE_INFORMATION, octetNumberCodec as ParamCodec<unknown>, 'ansi'],
  ['carrierIdentification', ParamCode.CARRIER_IDENTIFICATION, carrierIdentificationCodec as ParamCodec<unknown>, 'ansi'],
  ['jurisdictionInformation', ParamCode.JURISDICTION_INFORMATION, jurisdictionCodec as ParamCodec<unknown>, 'ansi'],
  ['hopCounter', ParamCode.HOP_COUNTER, hopCounterCodec as ParamCodec<unknown>, 'both'],
  ['transitNetworkSelection', ParamCode.TRANSIT_NETWORK_SELECTION, transitNetworkSelectionCodec as ParamCodec<unknown>, 'both'],
  ['causeIndicators', ParamCode.CAUSE_INDICATORS, causeCodec as ParamCodec<unknown>, 'both'],
  ['backwardCallIndicators', ParamCode.BACKWARD_CALL_INDICATORS, backwardCallCodec as ParamCodec<unknown>, 'both'],
  ['optionalBackwardCallIndicators', ParamCode.OPTIONAL_BACKWARD_CALL_INDICATORS, optionalBackwardCallCodec as ParamCodec<unknown>, 'both'],
  ['optionalForwardCallIndicators', ParamCode.OPTIONAL_FORWARD_CALL_INDICATORS, octetNumberCodec as ParamCodec<unknown>, 'itu'],
  ['accessTransport', ParamCode.ACCESS_TRANSPORT, rawCodec as ParamCodec<unknown>, 'both'],
  ['userToUserInformation', ParamCode.USER_TO_USER_INFORMATION, rawCodec as ParamCodec<unknown>, 'both'],
  ['automaticCongestionLevel', ParamCode.AUTOMATIC_CONGESTION_LEVEL, octetNumberCodec as ParamCodec<unknown>, 'both'],
  ['redirectionInformation', ParamCode.REDIRECTION_INFORMATION, redirectionInformationCodec as ParamCodec<unknown>, 'both'],
  ['userServiceInformation', ParamCode.USER_SERVICE_INFORMATION, userServiceInformationCodec as ParamCodec<unknown>, 'both'],
  ['eventInformation', ParamCode.EVENT_INFORMATION, eventInformationCodec as ParamCodec<unknown>, 'both'],
];

export interface OptionalTable {
  byCode: (OptionalParamEntry | undefined)[];
  /** Plain object (cheaper than a Map on the encode path); check `entry.name` after a lookup. */
  byName: Readonly<Record<string, OptionalParamEntry | undefined>>;
}

function build(variant: Variant): OptionalTable {
  const byCode: (OptionalParamEntry | undefined)[] = new Array(256).fill(undefined);
  const byName: Record<string, OptionalParamEntry> = {};
  for (const [name, code, codec, v] of ROWS) {
    if (v !== 'both' && v !== variant) continue;
    const e: OptionalParamEntry = { name, code, codec, encode: codec.encode, decode: codec.decode };
    byCode[code] = e;
    byName[name] = e;
  }
  return { byCode, byName };
}

export const OPTIONAL_TABLES: Record<Variant, OptionalTable> = { itu: build('itu'), ansi: build('ansi') };

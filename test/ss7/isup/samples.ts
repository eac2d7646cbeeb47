import type { Variant } from '../../../src/ss7/variant.js';
import type { IsupMessage, OptionalParam } from '../../../src/ss7/isup/messages.js';
import type { IsupMessageType } from '../../../src/ss7/isup/constants.js';
import { messageTypes } from '../../../src/ss7/isup/layouts.js';
import { partyNumber } from '../../../src/ss7/isup/params/numbers.js';
import { causeIndicators } from '../../../src/ss7/isup/params/cause.js';
import { rangeAndStatus } from '../../../src/ss7/isup/params/indicators.js';
import type { BackwardCallIndicators, NatureOfConnection, ForwardCallIndicators } from '../../../src/ss7/isup/params/indicators.js';

/** Realistic example messages, one per type and variant, for round-trip, tshark and fuzz seeds. */

export const NCI: NatureOfConnection = { satellite: 0, continuityCheck: 0, echoControl: true, other: 0 };
export const FCI: ForwardCallIndicators = {
  international: false,
  endToEndMethod: 0,
  interworking: false,
  endToEndInfo: false,
  isupAllTheWay: true,
  isupPreference: 0,
  isdnAccess: true,
  sccpMethod: 0,
  portedNumberTranslated: true,
  other: 0,
};
export const BCI: BackwardCallIndicators = {
  charge: 2,
  calledStatus: 1,
  calledCategory: 1,
  endToEndMethod: 0,
  interworking: false,
  endToEndInfo: false,
  isupAllTheWay: true,
  holding: false,
  isdnAccess: false,
  echoControl: true,
  sccpMethod: 0,
  other: 0,
};

export const CALLED = '2125551234';
export const CALLING = '9725550100';

export function iamOptional(variant: Variant): OptionalParam[] {
  const common: OptionalParam[] = [
    { name: 'callingPartyNumber', value: partyNumber(CALLING, { screening: 3 }) },
    { name: 'hopCounter', value: 20 },
  ];
  if (variant === 'ansi') {
    return [
      ...common,
      { name: 'chargeNumber', value: partyNumber(CALLING, { nai: 3 }) },
      { name: 'originatingLineInformation', value: 0 },
      { name: 'carrierIdentification', value: { networkIdType: 2, networkIdPlan: 2, digits: '0288' } },
      { name: 'jurisdictionInformation', value: '972555' },
      { name: 'genericNumber', value: { qualifier: 0xc0, ...partyNumber('2125550000') } },
      { name: 'transitNetworkSelection', value: { networkIdType: 2, networkIdPlan: 2, digits: '0288', circuitCode: 1 } },
    ];
  }
  return [
    ...common,
    { name: 'redirectingNumber', value: partyNumber('4420799900', { nai: 4, presentation: 1 }) },
    { name: 'originalCalledNumber', value: partyNumber('4420799901', { nai: 4 }) },
    { name: 'redirectionInformation', value: { redirecting: 3, originalReason: 1, counter: 1, reason: 1, other: 0 } },
    { name: 'genericDigits', value: { encoding: 0, typeOfDigits: 1, digits: '1234' } },
    { name: 'userServiceInformation', value: { codingStandard: 0, transferCapability: 0, transferMode: 0, transferRate: 16, extra: Buffer.from([0xa3]) } },
    { name: 'accessTransport', value: Buffer.from('7c038890a3', 'hex') },
    { name: 'unknown', code: 0x31, raw: Buffer.from([0x00, 0x64]) },
  ];
}

export function sample(type: IsupMessageType, variant: Variant, cic = variant === 'ansi' ? 12345 : 3001): IsupMessage {
  const rs = rangeAndStatus([true, false, true, true, false, false, false, false, true]);
  switch (type) {
    case 'IAM':
      return {
        type,
        cic,
        natureOfConnection: NCI,
        forwardCall: FCI,
        callingPartyCategory: 10,
        ...(variant === 'itu'
          ? { transmissionMediumRequirement: 3 }
          : { userServiceInformation: { codingStandard: 0, transferCapability: 0, transferMode: 0, transferRate: 16, extra: Buffer.from([0xa2]) } }),
        calledPartyNumber: partyNumber(CALLED, { ni: variant === 'itu' }),
        optional: iamOptional(variant),
      };
    case 'SAM':
      return { type, cic, subsequentNumber: { digits: '567F' }, optional: [] };
    case 'INR':
      return { type, cic, informationRequest: { callingAddress: true, holding: false, callingCategory: true, chargeInfo: false, maliciousCallId: false, other: 0 }, optional: [] };
    case 'INF':
      return {
        type,
        cic,
        information: { callingAddressResponse: 3, holdProvided: false, callingCategoryIncluded: true, chargeInfoIncluded: false, solicited: true, other: 0 },
        optional: [
          { name: 'callingPartyNumber', value: partyNumber(CALLING) },
        ],
      };
    case 'COT':
      return { type, cic, continuity: { successful: true, other: 0 } };
    case 'ACM':
    case 'CON':
      return { type, cic, backwardCall: BCI, optional: [{ name: 'optionalBackwardCallIndicators', value: { inbandInfo: true, callDiversion: false, segmentation: false, mlppUser: false, other: 0 } }] };
    case 'REL':
      return { type, cic, cause: causeIndicators(17, 4), optional: [] };
    case 'CFN':
      return { type, cic, cause: { codingStandard: 0, location: 4, cause: 99, diagnostic: Buffer.from([0xf4]) }, optional: [] };
    case 'SUS':
    case 'RES':
      return { type, cic, suspendResume: { networkInitiated: true, other: 0 }, optional: [] };
    case 'GRS':
    case 'CQM':
      return { type, cic, rangeAndStatus: { range: 8 } };
    case 'GRA':
      return { type, cic, rangeAndStatus: rs };
    case 'CGB':
    case 'CGU':
    case 'CGBA':
    case 'CGUA':
      return { type, cic, supervisionType: { kind: 0, other: 0 }, rangeAndStatus: rs };
    case 'CQR':
      return { type, cic, rangeAndStatus: { range: 2 }, circuitState: Buffer.from([0x00, 0x0c, 0x01]) };
    case 'CPG':
      return { type, cic, eventInformation: { event: 1, presentationRestricted: false, other: 0 }, optional: [{ name: 'backwardCallIndicators', value: BCI }] };
    case 'USR':
      return { type, cic, userToUserInformation: Buffer.from('0401020304', 'hex'), optional: [] };
    case 'PAM':
      return { type, cic, embedded: Buffer.from([0x09, 0x00]) };
    case 'CRM':
      return { type, cic, natureOfConnection: NCI };
    case 'CVR':
      return { type, cic, cvrResponse: 1, circuitGroupCharacteristics: 0x15, optional: [] };
    case 'ANM':
      return { type, cic, optional: [{ name: 'backwardCallIndicators', value: BCI }] };
    case 'RLC':
      return { type, cic, optional: [] };
    case 'FOT':
    case 'FAC':
    case 'EXM':
    case 'UPT':
    case 'UPA':
      return { type, cic, optional: [] };
    case 'CCR':
    case 'RSC':
    case 'BLO':
    case 'UBL':
    case 'BLA':
    case 'UBA':
    case 'UCIC':
    case 'LPA':
    case 'OLM':
    case 'CVT':
    case 'CRA':
      return { type, cic };
  }
}

export function allSamples(variant: Variant): IsupMessage[] {
  return messageTypes(variant).map((t) => sample(t, variant));
}

/** The ISUP parts of the tcpdump-isup.pcap call (ITU, CIC 213), from the MSU after SIO and label. */
export const TCPDUMP_ISUP: Record<string, string> = {
  IAM: 'd5000100a0010a02020705819084190f0a070317933393798008018003057c038890a61d038890a6310200643f06039300060010f4056476c328813902f49000',
  CFN: 'd5002f02000384e3f4',
  ACM: 'd500060424' + '00',
  ANM: 'd5000900',
  REL: 'd5000c0200028090',
  RLC: 'd5001000',
};

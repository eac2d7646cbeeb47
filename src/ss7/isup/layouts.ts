import type { Variant } from '../variant.js';
import { MessageCode, type IsupMessageType } from './constants.js';
import type { ParamCodec } from './params/types.js';
import { causeCodec } from './params/cause.js';
import {
  backwardCallCodec,
  cgsmtCodec,
  continuityCodec,
  eventInformationCodec,
  forwardCallCodec,
  informationCodec,
  informationRequestCodec,
  natureOfConnectionCodec,
  octetNumberCodec,
  rangeAndStatusCodec,
  rawCodec,
  suspendResumeCodec,
  userServiceInformationCodec,
} from './params/indicators.js';
import { partyNumberCodec, subsequentNumberCodec } from './params/numbers.js';

/** A mandatory parameter: the message field that holds it and its content codec. */
export interface FieldDef {
  field: string;
  // Heterogeneous table: each codec's value type matches its field in messages.ts.
  codec: ParamCodec<any>;
  /** The codec's functions and fixed length copied out, so every FieldDef has one shape. */
  encode: ParamCodec<any>['encode'];
  decode: ParamCodec<any>['decode'];
  fixed: number;
}

/** Q.763 §1.3 / T1.113.3 §2: a message's mandatory fixed part, mandatory variable part, optional part. */
export interface Layout {
  type: IsupMessageType;
  code: number;
  fixed: FieldDef[];
  variable: FieldDef[];
  optional: boolean;
  /** Whole body after the type code kept raw in this field (PAM embedded message). */
  rawBody?: string;
  /**
   * The decoded message's fields in wire order, all undefined: decode copies it and fills the
   * fields in place, so every message of one type shares one object shape.
   */
  blank: Readonly<Record<string, unknown>>;
}

const f = (field: string, codec: ParamCodec<any>): FieldDef => ({
  field,
  codec,
  encode: codec.encode,
  decode: codec.decode,
  fixed: codec.fixed ?? 0,
});

const NCI = f('natureOfConnection', natureOfConnectionCodec);
const FCI = f('forwardCall', forwardCallCodec);
const CPC = f('callingPartyCategory', octetNumberCodec);
const TMR = f('transmissionMediumRequirement', octetNumberCodec);
const USI = f('userServiceInformation', userServiceInformationCodec);
const CDPN = f('calledPartyNumber', partyNumberCodec);
const BCI = f('backwardCall', backwardCallCodec);
const CAUSE = f('cause', causeCodec);
const RS = f('rangeAndStatus', rangeAndStatusCodec);
const CGSMT = f('supervisionType', cgsmtCodec);
const SR = f('suspendResume', suspendResumeCodec);

type Spec = [IsupMessageType, FieldDef[], FieldDef[], boolean, Variant | 'both'];

/** Q.763 Tables 21-51 (ITU) and T1.113.3 Tables 5-39 (ANSI). */
const SPECS: Spec[] = [
  ['IAM', [NCI, FCI, CPC, TMR], [CDPN], true, 'itu'],
  ['IAM', [NCI, FCI, CPC], [USI, CDPN], true, 'ansi'],
  ['SAM', [], [f('subsequentNumber', subsequentNumberCodec)], true, 'itu'],
  ['INR', [f('informationRequest', informationRequestCodec)], [], true, 'both'],
  ['INF', [f('information', informationCodec)], [], true, 'both'],
  ['COT', [f('continuity', continuityCodec)], [], false, 'both'],
  ['ACM', [BCI], [], true, 'both'],
  ['CON', [BCI], [], true, 'itu'],
  ['FOT', [], [], true, 'itu'],
  ['ANM', [], [], true, 'both'],
  ['REL', [], [CAUSE], true, 'both'],
  ['SUS', [SR], [], true, 'both'],
  ['RES', [SR], [], true, 'both'],
  ['RLC', [], [], true, 'both'],
  ['CCR', [], [], false, 'both'],
  ['RSC', [], [], false, 'both'],
  ['BLO', [], [], false, 'both'],
  ['UBL', [], [], false, 'both'],
  ['BLA', [], [], false, 'both'],
  ['UBA', [], [], false, 'both'],
  ['GRS', [], [RS], false, 'both'],
  ['CGB', [CGSMT], [RS], false, 'both'],
  ['CGU', [CGSMT], [RS], false, 'both'],
  ['CGBA', [CGSMT], [RS], false, 'both'],
  ['CGUA', [CGSMT], [RS], false, 'both'],
  ['LPA', [], [], false, 'both'],
  ['PAM', [], [], false, 'both'],
  ['GRA', [], [RS], false, 'both'],
  ['CQM', [], [RS], false, 'both'],
  ['CQR', [], [RS, f('circuitState', rawCodec)], false, 'both'],
  ['CPG', [f('eventInformation', eventInformationCodec)], [], true, 'both'],
  ['USR', [], [f('userToUserInformation', rawCodec)], true, 'itu'],
  ['UCIC', [], [], false, 'both'],
  ['CFN', [], [CAUSE], true, 'both'],
  ['OLM', [], [], false, 'itu'],
  ['FAC', [], [], true, 'both'],
  ['UPT', [], [], true, 'itu'],
  ['UPA', [], [], true, 'itu'],
  ['CRA', [], [], false, 'ansi'],
  ['CRM', [NCI], [], false, 'ansi'],
  ['CVR', [f('cvrResponse', octetNumberCodec), f('circuitGroupCharacteristics', octetNumberCodec)], [], true, 'ansi'],
  ['CVT', [], [], false, 'ansi'],
  ['EXM', [], [], true, 'ansi'],
];

export interface LayoutTable {
  byCode: (Layout | undefined)[];
  /** Plain object (cheaper than a Map on the encode path); check `layout.type` after a lookup. */
  byType: Readonly<Record<string, Layout | undefined>>;
}

function blankOf(type: IsupMessageType, fields: string[], optional: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = { type, cic: 0 };
  for (const f of fields) o[f] = undefined;
  if (optional) o.optional = undefined;
  return o;
}

function build(variant: Variant): LayoutTable {
  const byCode: (Layout | undefined)[] = new Array(256).fill(undefined);
  const byType: Record<string, Layout> = {};
  for (const [type, fixed, variable, optional, v] of SPECS) {
    if (v !== 'both' && v !== variant) continue;
    const rawBody = type === 'PAM' ? 'embedded' : undefined;
    const fields = rawBody ? [rawBody] : [...fixed, ...variable].map((d) => d.field);
    const layout: Layout = { type, code: MessageCode[type], fixed, variable, optional, blank: blankOf(type, fields, optional && !rawBody) };
    if (rawBody) layout.rawBody = rawBody;
    byCode[layout.code] = layout;
    byType[type] = layout;
  }
  return { byCode, byType };
}

export const LAYOUTS: Record<Variant, LayoutTable> = { itu: build('itu'), ansi: build('ansi') };

/** Mnemonics defined for a variant, in code order. */
export function messageTypes(variant: Variant): IsupMessageType[] {
  return LAYOUTS[variant].byCode.filter((l): l is Layout => l !== undefined).map((l) => l.type);
}

/** The calling and called party of a received IAM, as the call engine carries them. */
import { GAP_TYPE_PORTED_NUMBER } from '../../ss7/isup/builders.js';
import type { IamMessage, OptionalParamTypes } from '../../ss7/isup/messages.js';
import type { CallParty } from './leg.js';

function optional<K extends keyof OptionalParamTypes>(iam: IamMessage, name: K): OptionalParamTypes[K] | undefined {
  const p = iam.optional.find((o) => o.name === name);
  return p && p.name === name ? (p.value as OptionalParamTypes[K]) : undefined;
}

export function partyOfIam(iam: IamMessage): CallParty {
  const calling = optional(iam, 'callingPartyNumber');
  const gap = optional(iam, 'genericNumber');
  return {
    called: iam.calledPartyNumber.digits,
    calledNai: iam.calledPartyNumber.nai,
    calling: calling?.digits || undefined,
    callingNai: calling?.nai,
    // Q.763 §3.10 d): 01 presentation restricted (10, address not available, hides it too).
    callingRestricted: calling ? calling.presentation === 1 || calling.presentation === 2 : undefined,
    chargeNumber: optional(iam, 'chargeNumber')?.digits || undefined,
    jip: optional(iam, 'jurisdictionInformation') || undefined,
    portedDialled: gap && gap.qualifier === GAP_TYPE_PORTED_NUMBER ? gap.digits : undefined,
    callingCategory: iam.callingPartyCategory,
  };
}

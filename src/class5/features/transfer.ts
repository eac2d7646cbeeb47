/**
 * Call transfer as a decision (pure): where an extension's REFER (RFC 3515) may send the other
 * party. The Refer-To is read in the transferor's tenant: a short number is that tenant's extension
 * or hunt group, a longer one a PSTN number checked against the transferor's class of service, as
 * if the transferor had dialled it; a Refer-To naming another tenant's domain is refused 403
 * (tenant isolation), and so is a transfer by a party that is no extension. A Refer-To carrying
 * Replaces (RFC 3891) is an attended transfer: the engine resolves the dialog.
 */
import type { ExtensionConfig } from '../config.js';
import { dial, type DialResult } from '../dial-plan.js';
import type { Tenant } from '../tenants.js';
import { splitReferTo, type ReplacesTarget } from '../../sip/replaces.js';
import { parseUri } from '../../sip/header-values.js';

export type TransferTarget =
  | { kind: 'refuse'; status: number; why: string }
  | { kind: 'attended'; replaces: ReplacesTarget; number: string }
  | { kind: 'dial'; number: string; result: Extract<DialResult, { kind: 'extension' | 'hunt' | 'pstn' }> };

export function transferTarget(o: {
  tenant: Tenant;
  transferor: ExtensionConfig | undefined;
  referTo: string;
  /** The tenant whose domain a host is, if any. */
  tenantOf: (host: string) => Tenant | undefined;
  emergency: ReadonlySet<string>;
}): TransferTarget {
  if (!o.transferor) return { kind: 'refuse', status: 403, why: 'the transferor is not an extension of the tenant' };
  const split = splitReferTo(o.referTo);
  if (!split) return { kind: 'refuse', status: 400, why: 'Refer-To is not a URI' };
  if (split.badReplaces) return { kind: 'refuse', status: 400, why: 'Replaces in Refer-To is malformed' };
  const uri = parseUri(split.uri);
  if (!uri || !['sip', 'sips', 'tel'].includes(uri.scheme)) return { kind: 'refuse', status: 416, why: `Refer-To scheme ${uri?.scheme ?? '?'} is not sip, sips or tel` };
  const owner = uri.host ? o.tenantOf(uri.host) : undefined;
  if (owner && owner.id !== o.tenant.id) return { kind: 'refuse', status: 403, why: `Refer-To names tenant ${owner.id}'s domain; transfers stay within tenant ${o.tenant.id}` };
  let number: string;
  try {
    number = decodeURIComponent(uri.user).replace(/[-.() ]/g, '');
  } catch {
    return { kind: 'refuse', status: 400, why: 'Refer-To user part is badly escaped' };
  }
  if (!number) return { kind: 'refuse', status: 404, why: 'Refer-To has no number' };
  if (split.replaces) return { kind: 'attended', replaces: split.replaces, number };
  const result = dial(o.tenant, o.transferor, number, o.emergency);
  if (result.kind === 'refuse') return { kind: 'refuse', status: result.status, why: result.why };
  // An emergency call is the caller's own to make: the switch does not place one on a transferor's behalf.
  if (result.kind === 'emergency') return { kind: 'refuse', status: 403, why: 'transfer to an emergency number is not offered' };
  return { kind: 'dial', number, result };
}

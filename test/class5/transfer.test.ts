/** Transfer as a decision (pure) and the Replaces header (RFC 3891), including hostile input. */
import { describe, expect, it } from 'vitest';
import { class5ConfigSchema } from '../../src/class5/config.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { transferTarget } from '../../src/class5/features/transfer.js';
import { parseReplaces, splitReferTo } from '../../src/sip/replaces.js';

const dir = new TenantDirectory(
  class5ConfigSchema.parse({
    tenants: [
      { id: 'acme', domain: 'acme.example', extensions: [{ number: '1001', password: 'x', cos: 'local' }, { number: '1002', password: 'x' }], huntGroups: [{ number: '500', members: ['1002'] }] },
      { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'y' }] },
    ],
  }),
);
const acme = dir.byId('acme')!;
const decide = (referTo: string, transferor = '1002') =>
  transferTarget({ tenant: acme, transferor: acme.extensions.get(transferor), referTo, tenantOf: (h) => dir.byDomain(h), emergency: new Set(['911']) });

describe('Replaces (RFC 3891 §6.1)', () => {
  it('reads call-id, both tags and early-only', () => {
    expect(parseReplaces('abc@host;to-tag=7743;from-tag=6472')).toEqual({ callId: 'abc@host', toTag: '7743', fromTag: '6472', earlyOnly: false });
    expect(parseReplaces('abc;from-tag=1;to-tag=2;early-only')).toEqual({ callId: 'abc', toTag: '2', fromTag: '1', earlyOnly: true });
  });
  it('refuses a header without both tags, an empty call-id, and garbage (undefined, no exception)', () => {
    for (const bad of ['abc;to-tag=1', 'abc;from-tag=1', ';to-tag=1;from-tag=2', '', 'a b;to-tag=1;from-tag=2', '\u0000;;;==', 'x;to-tag=;from-tag=1']) expect(parseReplaces(bad)).toBeUndefined();
  });
  it('finds an escaped Replaces in a Refer-To URI (RFC 3261 §19.1.1 headers)', () => {
    const r = splitReferTo('<sip:1003@acme.example?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>');
    expect(r).toEqual({ uri: 'sip:1003@acme.example', replaces: { callId: 'abc@h', toTag: '1', fromTag: '2', earlyOnly: false } });
    expect(splitReferTo('<sip:1003@acme.example?Replaces=%E0%A4%A>')?.badReplaces).toBe(true);
    expect(splitReferTo('sip:1003@acme.example')).toEqual({ uri: 'sip:1003@acme.example' });
    expect(splitReferTo('<not a uri>')).toBeUndefined();
  });
});

describe('transfer target (the transferor’s tenant, class of service, tenant isolation)', () => {
  it('a short number is the tenant’s extension or hunt group; the host may be the switch', () => {
    expect(decide('<sip:1001@acme.example>')).toMatchObject({ kind: 'dial', number: '1001', result: { kind: 'extension' } });
    expect(decide('sip:500@127.0.0.1:5060')).toMatchObject({ kind: 'dial', result: { kind: 'hunt' } });
  });
  it('another tenant’s domain is refused 403, even for a number that exists there', () => {
    expect(decide('<sip:2001@globex.example>')).toMatchObject({ kind: 'refuse', status: 403 });
    // …and the same short number read in acme does not exist.
    expect(decide('<sip:2001@acme.example>')).toMatchObject({ kind: 'refuse', status: 404 });
  });
  it('a PSTN number follows the transferor’s class of service', () => {
    expect(decide('<sip:3125550142@acme.example>')).toMatchObject({ kind: 'dial', result: { kind: 'pstn', reach: 'national' } });
    expect(decide('<sip:3125550142@acme.example>', '1001')).toMatchObject({ kind: 'refuse', status: 403 });
    expect(decide('<tel:5550142>', '1001')).toMatchObject({ kind: 'dial', result: { kind: 'pstn', reach: 'local' } });
  });
  it('Replaces makes it attended; emergency numbers, other schemes, a non-extension transferor and bad escapes are refused', () => {
    expect(decide('<sip:1001@acme.example?Replaces=c%3Bto-tag%3D1%3Bfrom-tag%3D2>')).toMatchObject({ kind: 'attended', number: '1001', replaces: { callId: 'c' } });
    expect(decide('<sip:911@acme.example>')).toMatchObject({ kind: 'refuse', status: 403 });
    expect(decide('<mailto:x@acme.example>')).toMatchObject({ kind: 'refuse', status: 416 });
    expect(decide('<sip:1001@acme.example>', '9999')).toMatchObject({ kind: 'refuse', status: 403 });
    expect(decide('<sip:%E0%A4%A@acme.example>')).toMatchObject({ kind: 'refuse', status: 400 });
    expect(decide('<sip:1001@acme.example?Replaces=c%3Bto-tag%3D1>')).toMatchObject({ kind: 'refuse', status: 400 });
  });
});

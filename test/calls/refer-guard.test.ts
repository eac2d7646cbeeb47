/** Whose REFER it is (RFC 3892 Referred-By, the dialog peer's address): pure, over hostile header text. */
import { describe, expect, it } from 'vitest';
import { foreignRefer } from '../../src/calls/legs/refer-guard.js';

const from = 'sip:1002@acme.example';

describe('foreignRefer', () => {
  it('the peer’s own REFER passes: no Referred-By, or one naming the From’s user and host (any display name, params, host case)', () => {
    expect(foreignRefer({ from, sourceAddress: '192.0.2.5' })).toBeUndefined();
    for (const by of ['<sip:1002@acme.example>', 'sip:1002@acme.example', '"Bob" <sip:1002@ACME.example;transport=udp>;cid=x', '<sips:1002@acme.example:5061>']) {
      expect(foreignRefer({ referredBy: by, from, sourceAddress: '192.0.2.5' }), by).toBeUndefined();
    }
  });

  it('a Referred-By naming someone else is refused 403', () => {
    for (const by of ['<sip:1003@acme.example>', '<sip:1002@globex.example>', '<sip:acme.example>']) {
      expect(foreignRefer({ referredBy: by, from, sourceAddress: '192.0.2.5' }), by).toMatchObject({ status: 403 });
    }
  });

  it('a malformed Referred-By is 400; an unparseable From cannot match one', () => {
    for (const by of ['', 'garbage', '<sip:', '<>', '\u0000', '<tel:+12125550100>', '<mailto:a@b>']) {
      expect(foreignRefer({ referredBy: by, from, sourceAddress: '192.0.2.5' }), JSON.stringify(by)).toMatchObject({ status: 400 });
    }
    expect(foreignRefer({ referredBy: '<sip:1002@acme.example>', from: 'not a uri', sourceAddress: '192.0.2.5' })).toMatchObject({ status: 403 });
  });

  it('from another address than the peer’s signalling: 403; an IPv4-mapped IPv6 form is the same address; unknown peer address: not checked', () => {
    expect(foreignRefer({ from, sourceAddress: '198.51.100.9' }, { address: '192.0.2.5' })).toMatchObject({ status: 403 });
    expect(foreignRefer({ from, sourceAddress: '::ffff:192.0.2.5' }, { address: '192.0.2.5' })).toBeUndefined();
    expect(foreignRefer({ from, sourceAddress: '192.0.2.5' }, { address: '192.0.2.5' })).toBeUndefined();
    expect(foreignRefer({ from, sourceAddress: '198.51.100.9' }, {})).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { causeForSipStatus, causeFromReasonHeader, reasonHeader, sipStatusForCause } from '../../../src/calls/interworking/cause-map.js';

describe('Q.850 <-> SIP (RFC 3398)', () => {
  it('maps the causes a tandem returns to the statuses a trunk customer expects', () => {
    expect(sipStatusForCause(1)).toBe(404);
    expect(sipStatusForCause(17)).toBe(486);
    expect(sipStatusForCause(34)).toBe(503);
    expect(sipStatusForCause(102)).toBe(504);
    expect(sipStatusForCause(25)).toBe(480);
    expect(sipStatusForCause(50)).toBe(501);
    expect(sipStatusForCause(99)).toBe(500);
  });
  it('maps SIP failures to causes for REL', () => {
    expect(causeForSipStatus(486)).toBe(17);
    expect(causeForSipStatus(404)).toBe(1);
    expect(causeForSipStatus(503)).toBe(41);
    expect(causeForSipStatus(599)).toBe(41);
    expect(causeForSipStatus(699)).toBe(31);
  });
  it('reads and writes Reason headers', () => {
    expect(reasonHeader(16)).toBe('Q.850;cause=16');
    expect(causeFromReasonHeader('Q.850;cause=17;text="busy"')).toBe(17);
    expect(causeFromReasonHeader('SIP;cause=200')).toBeUndefined();
    expect(causeFromReasonHeader('Q.850;cause=999')).toBeUndefined();
  });
});

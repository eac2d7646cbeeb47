import { describe, expect, it } from 'vitest';
import { eventForMessage } from '../../../src/ss7/isup/call-messages.js';
import { q850Equivalent } from '../../../src/ss7/isup/params/cause.js';

describe('REL causes as call control sees them', () => {
  it('passes Q.850-coded causes through and translates ANSI national ones', () => {
    expect(eventForMessage({ type: 'REL', cic: 1, cause: { codingStandard: 0, location: 3, cause: 17 }, optional: [] })).toEqual({ name: 'ISUP_REL', cause: 17 });
    // T1.113.3: national 26 "misrouted call to a ported number" is not Q.850 26 "non-selected user clearing".
    expect(eventForMessage({ type: 'REL', cic: 1, cause: { codingStandard: 2, location: 3, cause: 26 }, optional: [] })).toEqual({ name: 'ISUP_REL', cause: 1 });
    expect(q850Equivalent({ codingStandard: 2, cause: 23 })).toBe(1);
    expect(q850Equivalent({ codingStandard: 2, cause: 40 })).toBe(47);
    expect(q850Equivalent({ codingStandard: 2, cause: 120 })).toBe(127);
  });
});

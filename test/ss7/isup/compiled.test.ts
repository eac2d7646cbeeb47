import { describe, expect, it } from 'vitest';
import { decodeIsup, decodeIsupByTable, encodeIsup, encodeIsupByTable } from '../../../src/ss7/isup/codec.js';
import { isIsupError, type IsupMessage, type OptionalParam } from '../../../src/ss7/isup/messages.js';
import { partyNumber } from '../../../src/ss7/isup/params/numbers.js';
import { mutate, rng, seeds } from './fuzz.js';
import { allSamples, sample } from './samples.js';

/** The thrown error's class and message, or 'ok' with the bytes. */
function outcome(f: () => Buffer): string {
  try {
    return `ok ${f().toString('hex')}`;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('compiled ISUP codecs agree with the table interpreter', () => {
  for (const variant of ['itu', 'ansi'] as const) {
    it(`${variant}: 30,000 hostile inputs decode to the same message or the same error`, () => {
      const next = rng(variant === 'itu' ? 0x51ed : 0xa11c);
      const base = seeds(variant);
      let messages = 0;
      for (let i = 0; i < 30_000; i++) {
        const input = mutate(base, next);
        const fast = decodeIsup(input, variant);
        const ref = decodeIsupByTable(input, variant);
        if (JSON.stringify(fast) !== JSON.stringify(ref)) expect(fast, input.toString('hex')).toEqual(ref);
        if (isIsupError(fast)) continue;
        messages++;
        const bytes = encodeIsup(fast, variant);
        expect(bytes.equals(encodeIsupByTable(fast, variant)), input.toString('hex')).toBe(true);
      }
      expect(messages).toBeGreaterThan(1_000);
    });

    it(`${variant}: every sample type encodes to the same bytes both ways`, () => {
      for (const m of allSamples(variant)) {
        expect(encodeIsup(m, variant).toString('hex'), m.type).toBe(encodeIsupByTable(m, variant).toString('hex'));
      }
    });

    it(`${variant}: programmer errors throw the same error both ways`, () => {
      const iam = sample('IAM', variant) as IsupMessage & Record<string, unknown>;
      const withOptional = (o: OptionalParam[]) => ({ ...iam, optional: o }) as IsupMessage;
      const cases: IsupMessage[] = [
        { ...iam, calledPartyNumber: undefined } as unknown as IsupMessage,
        { ...iam, natureOfConnection: undefined } as unknown as IsupMessage,
        { ...iam, calledPartyNumber: partyNumber('12x4') } as IsupMessage,
        { ...iam, calledPartyNumber: partyNumber('1'.repeat(600)) } as IsupMessage,
        withOptional([{ name: 'unknown', code: 0xfe, raw: Buffer.alloc(256) }]),
        withOptional([{ name: 'noSuchParameter', value: 1 } as unknown as OptionalParam]),
        withOptional([{ name: variant === 'itu' ? 'chargeNumber' : 'locationNumber', value: partyNumber('1') }]),
        withOptional([{ name: 'genericDigits', value: { encoding: 2, typeOfDigits: 0, digits: 'x'.repeat(255) } }]),
        { ...sample('COT', variant), optional: [{ name: 'hopCounter', value: 3 }] } as unknown as IsupMessage,
        { type: 'NOPE', cic: 1 } as unknown as IsupMessage,
        { type: 'toString', cic: 1 } as unknown as IsupMessage,
        { ...sample('ANM', variant), optional: Array.from({ length: 90 }, () => ({ name: 'hopCounter', value: 3 })) } as IsupMessage,
      ];
      for (const m of cases) {
        const ref = outcome(() => encodeIsupByTable(m, variant));
        expect(outcome(() => encodeIsup(m, variant))).toBe(ref);
      }
      expect(cases.filter((m) => outcome(() => encodeIsupByTable(m, variant)).startsWith('ok')).length).toBeLessThan(cases.length);
    });
  }

  it('a view handed out earlier is not changed by later encodes', () => {
    const first = encodeIsup(sample('IAM', 'itu'), 'itu');
    const copy = Buffer.from(first);
    for (let i = 0; i < 5_000; i++) encodeIsup(sample('REL', 'itu', i & 0xfff), 'itu');
    expect(first.equals(copy)).toBe(true);
  });
});

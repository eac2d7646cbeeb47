import { describe, expect, it } from 'vitest';
import type { Variant } from '../../../src/ss7/variant.js';
import { encodeIsup } from '../../../src/ss7/isup/codec.js';
import { MessageCode } from '../../../src/ss7/isup/constants.js';
import { findOptional, type IsupMessage, type IsupMessageOf } from '../../../src/ss7/isup/messages.js';
import { describeTshark, findField, tsharkJudge } from '../../helpers/tshark.js';
import { allSamples, CALLED, CALLING } from './samples.js';
import { m3uaData, PCS } from './m3ua-frame.js';

/** tshark 4.0 lists EXM (0xED) by name but has no dissection for it and flags it as unknown. */
const TSHARK_UNKNOWN: Record<Variant, string[]> = { itu: [], ansi: ['EXM'] };

function judge(variant: Variant, msgs: IsupMessage[]) {
  const frames = msgs.map((m) => m3uaData(encodeIsup(m, variant), variant));
  const prefs = variant === 'ansi' ? ['-o', 'mtp3.standard:ANSI'] : [];
  return tsharkJudge(frames, ['-S', '2905,2905,3'], prefs);
}

for (const variant of ['itu', 'ansi'] as const) {
  describeTshark(`ISUP ${variant.toUpperCase()} judged by tshark`, () => {
    const msgs = allSamples(variant);
    const clean = msgs.filter((m) => !TSHARK_UNKNOWN[variant].includes(m.type));
    const res = judge(variant, msgs);

    it('finds no malformed packet and no expert warning', () => {
      const cleanRes = judge(variant, clean);
      expect(cleanRes.problems).toBe('');
      expect(cleanRes.packets).toHaveLength(clean.length);
    });

    it('decodes message type, CIC and point codes of every message as encoded', () => {
      expect(res.packets).toHaveLength(msgs.length);
      msgs.forEach((m, i) => {
        const layers = res.packets[i]._source.layers;
        expect(Number(findField(layers.isup, 'isup.message_type')), m.type).toBe(MessageCode[m.type]);
        expect(Number(findField(layers.isup, 'isup.cic')), m.type).toBe(m.cic);
        expect(Number(findField(layers.m3ua, 'mtp3.opc'))).toBe(PCS[variant].opc);
        expect(Number(findField(layers.m3ua, 'mtp3.dpc'))).toBe(PCS[variant].dpc);
      });
    });

    it('agrees on parameter values', () => {
      const layersOf = (type: string) => res.packets[msgs.findIndex((m) => m.type === type)]._source.layers.isup;
      const iam = layersOf('IAM');
      expect(findField(iam, 'isup.called')).toBe(CALLED);
      expect(findField(iam, 'isup.calling')).toBe(CALLING);
      expect(findField(iam, 'isup.hop_counter')).toBe('20');
      expect(findField(iam, 'isup.calling_partys_category')).toBe('0x0a');
      if (variant === 'ansi') {
        expect(findField(iam, 'isup.charge_number')).toBe(CALLING);
        expect(findField(iam, 'isup.jurisdiction')).toBe('972555');
        expect(findField(iam, 'isup.generic_number')).toBe('2125550000');
      } else {
        expect(findField(iam, 'isup.transmission_medium_requirement')).toBe('3');
        const sam = layersOf('SAM');
        expect(findField(sam, 'isup.subsequent_number')).toBe('567F');
      }
      const rel = msgs.find((m) => m.type === 'REL');
      expect(Number(findField(layersOf('REL'), 'isup.cause_indicator'))).toBe(rel && 'cause' in rel ? rel.cause.cause : -1);
      expect(Number(findField(layersOf('CFN'), 'isup.cause_indicator'))).toBe(99);
      // tshark shows the number of circuits (range + 1, Q.763 §3.43).
      expect(Number(findField(layersOf('GRA'), 'isup.range_indicator'))).toBe(9);
      expect(Number(findField(layersOf('CGB'), 'isup.range_indicator'))).toBe(9);
      expect(findOptional(msgs[0] as IsupMessageOf<'IAM'>, 'hopCounter')).toBe(20);
    });
  });
}

/**
 * isup-iam-codec: encode+decode of an ITU IAM with 5 optional parameters per second of one core,
 * against a baseline in the same run: JSON.stringify + JSON.parse of the same message object.
 * The figure is round trips per CPU-second of this process (median of rounds), so other load
 * on the machine does not count against it; the wall-clock rate and the load average are in the note,
 * with the rate of the table interpreter (the compiled codecs' reference and error path).
 * isup-fuzz: 100,000 seeded hostile inputs per variant through decodeIsup; a thrown exception is an escape.
 */
import { decodeIsup, decodeIsupByTable, encodeIsup, encodeIsupByTable } from '../src/ss7/isup/codec.js';
import type { IsupMessage, IsupMessageOf } from '../src/ss7/isup/messages.js';
import { partyNumber } from '../src/ss7/isup/params/numbers.js';
import { fuzzEscapes } from '../test/ss7/isup/fuzz.js';
import { availableParallelism, loadavg } from 'node:os';
import { median, type Benchmark } from './harness.js';

interface Rates {
  /** Median operations per CPU-second of this process (user + system, all its threads). */
  perCore: number;
  /** Median operations per wall-clock second. */
  wall: number;
}

/** Rates of fn over `rounds` rounds of at least `minMs` each, after a warm-up. */
function perCoreRates(fn: () => void, rounds = 5, minMs = 300, batch = 10_000): Rates {
  for (let i = 0; i < 5 * batch; i++) fn();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let n = 0;
    let ms = 0;
    do {
      for (let i = 0; i < batch; i++) fn();
      n += batch;
      ms = Number(process.hrtime.bigint() - t0) / 1e6;
    } while (ms < minMs);
    const c = process.cpuUsage(c0);
    cpu.push(n / ((c.user + c.system) / 1e6));
    wall.push((n / ms) * 1000);
  }
  return { perCore: median(cpu), wall: median(wall) };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const iam: IsupMessage = {
  type: 'IAM',
  cic: 1234,
  natureOfConnection: { satellite: 0, continuityCheck: 0, echoControl: true, other: 0 },
  forwardCall: {
    international: false,
    endToEndMethod: 0,
    interworking: false,
    endToEndInfo: false,
    isupAllTheWay: true,
    isupPreference: 0,
    isdnAccess: true,
    sccpMethod: 0,
    portedNumberTranslated: false,
    other: 0,
  },
  callingPartyCategory: 10,
  transmissionMediumRequirement: 3,
  calledPartyNumber: partyNumber('442079460000', { nai: 4 }),
  optional: [
    { name: 'callingPartyNumber', value: partyNumber('33140200000', { nai: 4, screening: 3 }) },
    { name: 'originalCalledNumber', value: partyNumber('442079460001', { nai: 4 }) },
    { name: 'redirectionInformation', value: { redirecting: 3, originalReason: 1, counter: 1, reason: 1, other: 0 } },
    { name: 'hopCounter', value: 20 },
    { name: 'genericNumber', value: { qualifier: 6, ...partyNumber('442079460002', { nai: 4 }) } },
  ],
};

export const benchmarks: Benchmark[] = [
  {
    name: 'isup-iam-codec',
    async run() {
      let sink = 0;
      const loadBefore = loadavg()[0];
      const ours = perCoreRates(() => {
        const d = decodeIsup(encodeIsup(iam, 'itu'), 'itu') as IsupMessageOf<'IAM'>;
        sink += d.cic;
      });
      const tables = perCoreRates(() => {
        const d = decodeIsupByTable(encodeIsupByTable(iam, 'itu'), 'itu') as IsupMessageOf<'IAM'>;
        sink += d.cic;
      });
      const base = perCoreRates(() => {
        const d = JSON.parse(JSON.stringify(iam)) as IsupMessageOf<'IAM'>;
        sink += d.cic;
      });
      const loadAfter = loadavg()[0];
      if (sink < 0) console.log(sink);
      return [
        {
          name: 'isup-iam-codec',
          value: ours.perCore,
          unit: 'round trips/s/core',
          baseline: base.perCore,
          ratio: ours.perCore / base.perCore,
          target: '>= 1,000,000/s per core',
          pass: ours.perCore >= 1_000_000,
          note:
            `ITU IAM, 5 optional parameters, ${encodeIsup(iam, 'itu').length} octets; median of 5 rounds per CPU-second ` +
            `of this process; wall clock ${fmt(ours.wall)}/s; table interpreter ${fmt(tables.perCore)}/s/core; 1-min load average ${loadBefore.toFixed(2)} -> ` +
            `${loadAfter.toFixed(2)} on ${availableParallelism()} CPUs; baseline JSON.stringify+parse of the same object`,
        },
      ];
    },
  },
  {
    name: 'isup-fuzz',
    async run() {
      const out = [];
      for (const variant of ['itu', 'ansi'] as const) {
        const cases = 100_000;
        const start = process.hrtime.bigint();
        const r = fuzzEscapes(variant, cases, 0xc0ffee);
        const secs = Number(process.hrtime.bigint() - start) / 1e9;
        out.push({
          name: `isup-fuzz-${variant}`,
          value: cases / secs,
          unit: 'cases/s',
          target: '100,000 cases, 0 escapes',
          pass: r.escapes === 0,
          note: `${cases} cases: ${r.messages} messages, ${r.errors} error values, ${r.escapes} exceptions escaped`,
        });
      }
      return out;
    },
  },
];

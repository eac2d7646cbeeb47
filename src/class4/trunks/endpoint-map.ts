import type { TrunkGroupConfig } from './config.js';

/** DS0 channels per T1/DS1 span. */
const CHANNELS_PER_SPAN = 24;

/**
 * The gateway endpoint carrying a circuit, from the trunk group's template:
 * `{cic}`/`{cichex}` CIC in decimal/hex, `{n}` circuit index from 1 in hex (osmo-mgw rtpbridge numbering),
 * `{span}`/`{chan}` T1 span and DS0 channel from 1 (24 channels per span).
 */
export function endpointForCic(tg: Pick<TrunkGroupConfig, 'cics' | 'endpoint'>, cic: number): string {
  const index = cic - tg.cics.first;
  return tg.endpoint
    .replaceAll('{cichex}', cic.toString(16))
    .replaceAll('{cic}', String(cic))
    .replaceAll('{n}', (index + 1).toString(16))
    .replaceAll('{span}', String(Math.floor(index / CHANNELS_PER_SPAN) + 1))
    .replaceAll('{chan}', String((index % CHANNELS_PER_SPAN) + 1));
}

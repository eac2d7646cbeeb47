import { expect, it } from 'vitest';
import { endpointForCic } from '../../../src/class4/trunks/endpoint-map.js';

it('maps CICs to gateway endpoints by template', () => {
  const tg = { cics: { first: 1, count: 48 }, endpoint: 'rtpbridge/{n}@mgw' };
  expect(endpointForCic(tg, 1)).toBe('rtpbridge/1@mgw');
  expect(endpointForCic(tg, 26)).toBe('rtpbridge/1a@mgw');
  const t1 = { cics: { first: 100, count: 48 }, endpoint: 'ds/ds1-{span}/{chan}@gw' };
  expect(endpointForCic(t1, 100)).toBe('ds/ds1-1/1@gw');
  expect(endpointForCic(t1, 124)).toBe('ds/ds1-2/1@gw');
  expect(endpointForCic({ cics: { first: 1, count: 2 }, endpoint: 'cic-{cic}' }, 2)).toBe('cic-2');
  expect(endpointForCic({ cics: { first: 1, count: 48 }, endpoint: 'rtpbridge/{cichex}@mgw' }, 26)).toBe('rtpbridge/1a@mgw');
});

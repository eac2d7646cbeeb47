/** tshark's MEGACO dissector as an independent judge of what we write, both encodings. */
import { expect, it } from 'vitest';
import { encode } from '../../../src/mgcp/h248/codec.js';
import type { Message } from '../../../src/mgcp/h248/messages.js';
import { describeTshark, findAll, findField, tsharkJudge } from '../../helpers/tshark.js';
import { ABNF_ONLY, SAMPLES } from './samples.js';

const ALL: Array<[string, Message]> = Object.entries({ ...SAMPLES, ...ABNF_ONLY });

/**
 * ABNF-valid constructs Wireshark 4.0's MEGACO dissector does not follow, with what it says.
 * Asserted exactly, so a dissector that learns them (or a change of ours that breaks them
 * differently) shows up.
 */
const DISSECTOR_GAPS: Record<string, { pretty: string[]; compact: string[] }> = {
  eventBuffer: { pretty: ['No Descriptor detectable'], compact: ['No Descriptor detectable'] },
  auditReplyBareItem: { pretty: [], compact: ['No Descriptor detectable'] },
  immAckError: { pretty: ['Parse error: Missing "="'], compact: ['Parse error: Missing "="'] },
  contextAudit: { pretty: ['Parse error: Missing "{"'], compact: ['Parse error: Missing "{"'] },
};

/** The dissector reads the first transaction of a message. */
function firstTransactionId(m: Message): string | undefined {
  const t = m.transactions[0];
  return t && t.type !== 'ack' ? String(t.id) : undefined;
}

describeTshark('H.248 codec judged by tshark', () => {
  for (const encoding of ['pretty', 'compact'] as const) {
    it(`tshark decodes every ${encoding} message as MEGACO with no malformed or expert warnings, same transaction ids`, () => {
      const clean = ALL.filter(([name]) => !(name in DISSECTOR_GAPS));
      const { packets, problems } = tsharkJudge(
        clean.map(([, m]) => encode(m, { encoding })),
        ['-u', '2944,2944'],
      );
      expect(problems).toBe('');
      expect(packets).toHaveLength(clean.length);
      clean.forEach(([name, m], i) => {
        const megaco = packets[i]._source.layers.megaco;
        expect(megaco, `${name} has a MEGACO layer`).toBeDefined();
        expect(findField(megaco, 'megaco.version'), name).toBe('1');
        expect(findField(megaco, 'megaco.transid'), name).toBe(firstTransactionId(m));
      });
    });
  }

  it('the dissector gaps are the known ones and nothing worse', () => {
    for (const encoding of ['pretty', 'compact'] as const) {
      const gaps = Object.entries(DISSECTOR_GAPS);
      const { packets } = tsharkJudge(
        gaps.map(([name]) => encode(ALL.find(([n]) => n === name)![1], { encoding })),
        ['-u', '2944,2944'],
      );
      gaps.forEach(([name, messages], i) => {
        const layers = packets[i]._source.layers;
        expect(layers.megaco, `${encoding} ${name}`).toBeDefined();
        expect(findAll(layers, '_ws.expert.message'), `${encoding} ${name}`).toEqual(messages[encoding]);
      });
    }
  });

  it('hands the session descriptions inside Local/Remote to the SDP dissector', () => {
    const { packets } = tsharkJudge([encode(SAMPLES.addChoose, { encoding: 'compact' }), encode(SAMPLES.addReply)], ['-u', '2944,2944']);
    expect(findAll(packets[0]._source.layers, 'sdp.connection_info.address')).toContain('125.125.125.111');
    expect(findAll(packets[1]._source.layers, 'sdp.media.port')).toContain('2222');
  });
});

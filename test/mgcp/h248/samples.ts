/**
 * Messages covering every construct of the v1 text grammar, built as values (the codec writes
 * them; tests read them back, hand them to OTP's encoders and to tshark). Modelled on the
 * RFC 3525 Appendix A call flow (residential gateways, trunking gateway) with our own ids.
 */
import type { Message } from '../../../src/mgcp/h248/messages.js';

const MG = { kind: 'ip4', address: '124.124.124.222', port: 55555 } as const;
const MGC = { kind: 'ip4', address: '123.123.123.4', port: 55555 } as const;

const SDP_CHOOSE = 'v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 4\r\na=ptime:30';
const SDP_MG = 'v=0\r\nc=IN IP4 124.124.124.222\r\nm=audio 2222 RTP/AVP 4\r\na=ptime:30\r\na=recvonly';
const SDP_REMOTE = 'v=0\r\nc=IN IP4 125.125.125.111\r\nm=audio 1111 RTP/AVP 4';

export const SAMPLES: Record<string, Message> = {
  serviceChangeRestart: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      {
        type: 'request',
        id: 9998,
        actions: [
          {
            contextId: '-',
            commands: [
              {
                command: 'serviceChange',
                terminationId: 'ROOT',
                params: { method: 'restart', reason: '901 Cold Boot', delay: 0, address: 55555, profile: { name: 'ResGW', version: 1 } },
              },
            ],
          },
        ],
      },
    ],
  },
  serviceChangeReply: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'reply',
        id: 9998,
        actions: [
          {
            contextId: '-',
            replies: [{ command: 'serviceChange', terminationId: 'ROOT', params: { address: 55555, profile: { name: 'ResGW', version: 1 } } }],
          },
        ],
      },
    ],
  },
  serviceChangeForced: {
    type: 'message',
    version: 1,
    mid: { kind: 'domain', name: 'mg1.example.net', port: 2944 },
    transactions: [
      {
        type: 'request',
        id: 17,
        actions: [
          {
            contextId: '-',
            commands: [
              { command: 'serviceChange', terminationId: 'tdm/1/17', params: { method: 'forced', reason: '905 Termination taken out of service' } },
            ],
          },
        ],
      },
    ],
  },
  modifyEventsSignals: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 9999,
        actions: [
          {
            contextId: '-',
            commands: [
              {
                command: 'modify',
                terminationId: 'user/11111',
                descriptors: [
                  { type: 'media', termState: { serviceState: 'inService', eventBufferControl: 'off' }, streams: [] },
                  {
                    type: 'events',
                    requestId: 2222,
                    events: [
                      { name: 'al/of', params: [{ kind: 'other', name: 'strict', value: { kind: 'equal', value: 'state' } }] },
                      { name: 'al/on', params: [{ kind: 'keepActive' }] },
                    ],
                  },
                  { type: 'signals', signals: [{ kind: 'signal', name: 'cg/rt', params: [] }] },
                  { type: 'digitMap', name: 'dialplan00', value: { startTimer: 4, shortTimer: 16, body: '(0s|00s|[1-7]xlxx|8lxxxxxxx|Fxxxxxxx|Exx|9l1xxxxxxxxxx|9l011x.s)' } },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  notifyOffHook: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      {
        type: 'request',
        id: 10000,
        actions: [
          {
            contextId: '-',
            commands: [
              {
                command: 'notify',
                terminationId: 'user/11111',
                observedEvents: { type: 'observedEvents', requestId: 2222, events: [{ timestamp: '19990729T22000000', name: 'al/of', params: [] }] },
              },
            ],
          },
        ],
      },
    ],
  },
  notifyDigits: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      {
        type: 'request',
        id: 10001,
        actions: [
          {
            contextId: 5,
            commands: [
              {
                command: 'notify',
                terminationId: 'user/11111',
                observedEvents: {
                  type: 'observedEvents',
                  requestId: 2223,
                  events: [
                    {
                      timestamp: '19990729T22010001',
                      name: 'dd/ce',
                      params: [
                        { kind: 'other', name: 'ds', value: { kind: 'equal', value: '916135551212' } },
                        { kind: 'other', name: 'Meth', value: { kind: 'equal', value: 'UM' } },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  },
  notifyReply: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [{ type: 'reply', id: 10000, actions: [{ contextId: '-', replies: [{ command: 'notify', terminationId: 'user/11111' }] }] }],
  },
  addChoose: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 10003,
        actions: [
          {
            contextId: '$',
            commands: [
              { command: 'add', terminationId: 'tdm/1/17', descriptors: [] },
              {
                command: 'add',
                terminationId: '$',
                descriptors: [
                  {
                    type: 'media',
                    streams: [
                      {
                        id: 1,
                        localControl: { mode: 'recvOnly', reserveValue: false, reserveGroup: true, props: [{ name: 'nt/jit', value: { kind: 'equal', value: '40' } }] },
                        local: SDP_CHOOSE,
                        remote: SDP_REMOTE,
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  addReply: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      {
        type: 'reply',
        id: 10003,
        actions: [
          {
            contextId: 2000,
            replies: [
              { command: 'add', terminationId: 'tdm/1/17' },
              { command: 'add', terminationId: 'rtp/00056', audit: [{ type: 'media', streams: [{ id: 1, local: SDP_MG }] }] },
            ],
          },
        ],
      },
    ],
  },
  modifyRemote: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 10005,
        actions: [
          {
            contextId: 2000,
            commands: [
              {
                command: 'modify',
                terminationId: 'rtp/00056',
                descriptors: [
                  { type: 'media', streams: [{ localControl: { mode: 'sendRecv' }, remote: SDP_REMOTE }] },
                  { type: 'signals', signals: [{ kind: 'signal', name: 'cg/rt', params: [] }] },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  subtractBoth: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 50008,
        actions: [
          {
            contextId: 2000,
            commands: [
              { command: 'subtract', terminationId: 'tdm/1/17', audit: [] },
              { command: 'subtract', terminationId: 'rtp/00056', audit: ['statistics'] },
            ],
          },
        ],
      },
    ],
  },
  subtractReply: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      {
        type: 'reply',
        id: 50008,
        actions: [
          {
            contextId: 2000,
            replies: [
              { command: 'subtract', terminationId: 'tdm/1/17' },
              {
                command: 'subtract',
                terminationId: 'rtp/00056',
                audit: [
                  {
                    type: 'statistics',
                    stats: [
                      { name: 'nt/os', value: '45123' },
                      { name: 'nt/dur', value: '40' },
                      { name: 'rtp/ps', value: '1245' },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  auditValue: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 42,
        actions: [
          { contextId: '*', commands: [{ command: 'auditValue', terminationId: 'tdm/1/17', audit: ['media', 'events', 'packages'] }] },
          { contextId: '-', commands: [{ command: 'auditCapabilities', terminationId: 'ROOT', audit: [] }] },
        ],
      },
    ],
  },
  auditReply: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      {
        type: 'reply',
        id: 42,
        actions: [
          {
            contextId: 2000,
            replies: [
              {
                command: 'auditValue',
                terminationId: 'tdm/1/17',
                audit: [
                  { type: 'media', streams: [{ id: 1, localControl: { mode: 'sendRecv' } }] },
                  { type: 'packages', packages: [{ name: 'g', version: 1 }, { name: 'nt', version: 1 }] },
                ],
              },
            ],
          },
          { contextId: '-', replies: [{ command: 'auditCapabilities', terminationId: 'ROOT', audit: [{ type: 'error', code: 532, text: 'no such thing' }] }] },
        ],
      },
    ],
  },
  contextProperties: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 77,
        actions: [
          {
            contextId: 2000,
            context: { topology: [{ from: 'tdm/1/17', to: 'rtp/00056', direction: 'oneway' }], priority: 3, emergency: true },
            commands: [{ command: 'move', terminationId: 'tdm/1/18', descriptors: [] }],
          },
        ],
      },
    ],
  },
  pendingAndAck: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      { type: 'pending', id: 10005 },
      { type: 'ack', ranges: [{ first: 3 }, { first: 7, last: 9 }] },
    ],
  },
  errorReply: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      { type: 'reply', id: 10006, error: { type: 'error', code: 422, text: 'Syntax Error in Action' }, actions: [] },
      {
        type: 'reply',
        id: 10007,
        actions: [
          {
            contextId: 2001,
            replies: [{ command: 'add', terminationId: 'tdm/1/3' }],
            error: { type: 'error', code: 433, text: 'TerminationID is already in a Context' },
          },
        ],
      },
    ],
  },
  messageError: {
    type: 'message',
    version: 1,
    mid: MGC,
    error: { type: 'error', code: 400, text: 'Syntax error in message' },
    transactions: [],
  },
  embeddedSignals: {
    type: 'message',
    version: 1,
    mid: { kind: 'device', name: 'mgc1' },
    transactions: [
      {
        type: 'request',
        id: 123,
        actions: [
          {
            contextId: 5,
            commands: [
              {
                command: 'modify',
                terminationId: 'user/11111',
                descriptors: [
                  {
                    type: 'events',
                    requestId: 2223,
                    events: [
                      {
                        name: 'al/on',
                        params: [
                          {
                            kind: 'embed',
                            signals: { type: 'signals', signals: [{ kind: 'signal', name: 'cg/dt', params: [] }] },
                            events: {
                              requestId: 2224,
                              events: [{ name: 'dd/ce', params: [{ kind: 'digitMap', name: 'dialplan00' }] }],
                            },
                          },
                        ],
                      },
                      { name: 'al/fl', params: [{ kind: 'stream', id: 1 }] },
                    ],
                  },
                  {
                    type: 'signals',
                    signals: [
                      {
                        kind: 'signal',
                        name: 'an/apf',
                        params: [
                          { kind: 'signalType', value: 'timeOut' },
                          { kind: 'duration', value: 300 },
                          { kind: 'notifyCompletion', reasons: ['timeOut', 'interruptByEvent'] },
                          { kind: 'keepActive' },
                          { kind: 'other', name: 'an', value: { kind: 'equal', value: '20' } },
                        ],
                      },
                      { kind: 'list', id: 3, signals: [{ kind: 'signal', name: 'cg/rt', params: [{ kind: 'stream', id: 1 }] }] },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  eventBuffer: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 124,
        actions: [
          {
            contextId: 5,
            commands: [
              {
                command: 'modify',
                terminationId: 'user/11111',
                descriptors: [
                  { type: 'media', termState: { eventBufferControl: 'lockStep' }, streams: [] },
                  { type: 'eventBuffer', events: [{ name: 'al/of', params: [{ kind: 'stream', id: 1 }] }] },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  auditReplyBareItem: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [
      {
        type: 'reply',
        id: 43,
        actions: [
          {
            contextId: 2000,
            replies: [{ command: 'auditValue', terminationId: 'tdm/1/17', audit: [{ type: 'auditItem', item: 'events' }, { type: 'auditItem', item: 'media' }] }],
          },
        ],
      },
    ],
  },
  immAckError: {
    type: 'message',
    version: 1,
    mid: MG,
    transactions: [{ type: 'reply', id: 10008, immAckRequired: true, error: { type: 'error', code: 422, text: 'Syntax Error in Action' }, actions: [] }],
  },
  propertyForms: {
    type: 'message',
    version: 1,
    mid: { kind: 'ip6', address: '2001:db8::1', port: 2944 },
    transactions: [
      {
        type: 'request',
        id: 4294967295,
        actions: [
          {
            contextId: 4294967293,
            commands: [
              {
                command: 'add',
                terminationId: 'tdm/*',
                descriptors: [
                  {
                    type: 'media',
                    streams: [
                      {
                        id: 2,
                        localControl: {
                          props: [
                            { name: 'tdmc/gain', value: { kind: 'sublist', values: ['2', '4'] } },
                            { name: 'tdmc/ec', value: { kind: 'alternatives', values: ['on', 'off'] } },
                            { name: 'nt/jit', value: { kind: 'range', low: '10', high: '80' } },
                            { name: 'g/x', value: { kind: 'greater', value: '3' } },
                            { name: 'g/y', value: { kind: 'less', value: '9' } },
                            { name: 'g/z', value: { kind: 'notEqual', value: 'a b' } },
                          ],
                        },
                      },
                    ],
                  },
                  { type: 'mux', muxType: 'h221', terminations: ['tdm/1', 'tdm/2'] },
                  { type: 'audit', items: ['media', 'statistics'] },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
};

/**
 * Valid by the RFC 3525 ABNF but refused by OTP 25's v1 text parser: an empty Signals
 * descriptor (how an MGC stops signals), a bare Events descriptor followed by another
 * descriptor, and ContextAudit.
 */
export const ABNF_ONLY: Record<string, Message> = {
  clearSignalsAndEvents: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 10009,
        actions: [
          {
            contextId: 2000,
            commands: [
              {
                command: 'modify',
                terminationId: 'tdm/1/17',
                descriptors: [
                  { type: 'signals', signals: [] },
                  { type: 'events', events: [] },
                  { type: 'media', streams: [{ localControl: { mode: 'inactive' } }] },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  contextAudit: {
    type: 'message',
    version: 1,
    mid: MGC,
    transactions: [
      {
        type: 'request',
        id: 78,
        actions: [{ contextId: 2000, contextAudit: ['topology', 'priority'], commands: [] }],
      },
    ],
  },
};

/** Version 3 segmentation (H.248.1 §8.1.1): reply segments and SegmentReplies. */
export const SEGMENT_SAMPLES: Record<string, Message> = {
  reply_segment_first: {
    type: 'message',
    version: 3,
    mid: MG,
    transactions: [
      {
        type: 'reply',
        id: 4711,
        segment: { number: 1 },
        actions: [{ contextId: '-', replies: [{ command: 'auditValue', terminationId: 'tdm/1/1', audit: [{ type: 'packages', packages: [{ name: 'g', version: 1 }] }] }] }],
      },
    ],
  },
  reply_segment_last_error: {
    type: 'message',
    version: 3,
    mid: MG,
    transactions: [{ type: 'reply', id: 4712, segment: { number: 3, complete: true }, error: { type: 'error', code: 500 }, actions: [] }],
  },
  segment_reply: { type: 'message', version: 3, mid: MGC, transactions: [{ type: 'segmentReply', id: 4711, segment: { number: 1 } }] },
  segment_reply_complete: { type: 'message', version: 3, mid: MGC, transactions: [{ type: 'segmentReply', id: 4711, segment: { number: 2, complete: true } }] },
};

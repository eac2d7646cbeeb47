/** A small application on the embedded port, choosing its behaviour from the Request-URI user. */
import { EmbeddedSignallingPort, type EmbeddedSipConfig } from '../../src/sip/embedded-adapter.js';
import type { DestroyInfo, Dialog } from '../../src/sip/port.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';

export const GATEWAY_SDP = ['v=0', 'o=- 7 7 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 30000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

export interface AppLog {
  invites: number;
  cancels: number;
  answered: Dialog[];
  destroyed: DestroyInfo[];
  localByes: number;
  pai: string[];
}

export async function startTestApp(config: Partial<EmbeddedSipConfig> = {}): Promise<{ port: EmbeddedSignallingPort; log: AppLog }> {
  const port = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock, ...config });
  const log: AppLog = { invites: 0, cancels: 0, answered: [], destroyed: [], localByes: 0, pai: [] };
  port.onInvite((req, res) => {
    log.invites++;
    const pai = req.get('P-Asserted-Identity');
    if (pai) log.pai.push(pai);
    req.on('cancel', () => log.cancels++);
    const answer = async () => {
      const d = await port.createUAS(req, res, { localSdp: GATEWAY_SDP });
      log.answered.push(d);
      d.on('destroy', (info) => log.destroyed.push(info));
      return d;
    };
    switch (req.calledNumber) {
      case 'busy':
        res.send(486, undefined, { headers: { Reason: 'Q.850;cause=17' } });
        return;
      case 'ring':
        res.send(180);
        return;
      case 'early':
        res.send(183, undefined, { body: GATEWAY_SDP });
        setTimeout(() => void answer(), 50);
        return;
      case 'releaser':
        void answer().then((d) =>
          d.on('ack', () =>
            setTimeout(() => {
              void d.destroy({ headers: { Reason: 'Q.850;cause=16' } }).then(() => log.localByes++);
            }, 50),
          ),
        );
        return;
      default:
        res.send(180);
        void answer();
    }
  });
  return { port, log };
}

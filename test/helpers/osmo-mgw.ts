/** The lab's osmo-mgw launcher, used by tests as their real MGCP gateway, and UDP helpers around it. */
import { createSocket, type Socket } from 'node:dgram';
export { hasOsmoMgw, startOsmoMgw, OSMO_MGW_MISSING, type OsmoMgw } from '../../src/app/lab/osmo-mgw.js';

/** A UDP socket bound to `address:port` (port 0: any free one). */
export function bindUdp(address = '127.0.0.1', port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise<Socket>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/**
 * A socket on a random 127.x.y.z address (Linux routes all of 127/8 to loopback) with `port`
 * free there: with osmo-mgw's MGCP port, it is a second address of the gateway host, from which a
 * test can send what the gateway would (osmo-mgw sends RSIP only to a call agent at port 2727).
 */
export async function bindOtherLoopback(port: number): Promise<Socket> {
  for (let i = 0; i < 30; i++) {
    const a = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 256)}.${2 + Math.floor(Math.random() * 250)}`;
    try {
      return await bindUdp(a, port);
    } catch {
      /* taken here: try another address */
    }
  }
  throw new Error(`no loopback address with UDP port ${port} free`);
}

/** Polls `cond` every 5 ms until true, failing after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

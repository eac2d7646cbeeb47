/**
 * A residential (line) gateway played by the test with the project's own MGCP codec in the gateway
 * role, over UDP on loopback. No line-side MGCP gateway is packaged for Debian (osmo-mgw 1.10
 * implements no line or generic package: it answers RQNT without ever sending NTFY), so this is the
 * peer; every datagram the switch sends it is kept, for tshark's MGCP dissector to judge.
 *
 * It answers RQNT, CRCX, MDCX, AUEP (200) and DLCX (250), gives each connection an SDP, and does
 * what a line does on request: goes off-hook or on-hook (NTFY with the X: of the request in force),
 * and dials digits by the digit map (D:) of that request, notifying when the map completes.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decode, encode } from '../../src/mgcp/mgcp/codec.js';
import { command, paramValue, response, type MgcpCommand, type MgcpResponse } from '../../src/mgcp/mgcp/messages.js';
import { matchDigitMap, parseDigitMap } from '../../src/mgcp/mgcp/digit-map.js';
import { until } from './lab-switch.js';

export interface SeenCommand {
  readonly cmd: MgcpCommand;
  readonly at: number;
}

export class PlayedLineGateway {
  /** Every datagram the switch sent here, in order. */
  readonly fromSwitch: Buffer[] = [];
  readonly commands: SeenCommand[] = [];
  private ca?: { address: string; port: number };
  private nextTx = 9000;
  private readonly pending = new Map<number, (r: MgcpResponse) => void>();
  private connSeq = 0;
  /** Called after each command is answered (the test's line or trunk behaviour, e.g. a tone coming back). */
  onCommand?: (cmd: MgcpCommand) => void;

  private constructor(
    private readonly sock: Socket,
    readonly port: number,
    readonly rtpPort: number,
  ) {
    sock.on('message', (b, rinfo) => this.onDatagram(b, { address: rinfo.address, port: rinfo.port }));
  }

  static async open(rtpPort = 40000): Promise<PlayedLineGateway> {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, '127.0.0.1', () => resolve());
    });
    return new PlayedLineGateway(sock, sock.address().port, rtpPort);
  }

  private onDatagram(b: Buffer, from: { address: string; port: number }): void {
    this.fromSwitch.push(Buffer.from(b));
    for (const m of decode(b)) {
      if (m.type === 'response') {
        this.pending.get(m.transactionId)?.(m);
        this.pending.delete(m.transactionId);
        continue;
      }
      if (m.type !== 'command') continue;
      this.ca = from;
      this.commands.push({ cmd: m, at: Date.now() });
      this.sock.send(encode(this.answer(m)), from.port, from.address);
      this.onCommand?.(m);
    }
  }

  private sdp(): string {
    return `v=0\r\no=- ${this.connSeq} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${this.rtpPort + 2 * this.connSeq} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
  }

  private answer(c: MgcpCommand): MgcpResponse {
    switch (c.verb) {
      case 'CRCX':
        this.connSeq++;
        return response(200, c.transactionId, 'OK', [{ name: 'I', value: `L${this.connSeq.toString(16).toUpperCase()}` }], this.sdp());
      case 'MDCX':
        return response(200, c.transactionId, 'OK', [], this.sdp());
      case 'DLCX':
        return response(250, c.transactionId, 'Connection deleted');
      default:
        return response(200, c.transactionId, 'OK');
    }
  }

  /** Commands of one verb to one endpoint (case-insensitive), in order. */
  seen(verb: string, endpoint?: string): MgcpCommand[] {
    return this.commands.map((s) => s.cmd).filter((c) => c.verb === verb && (!endpoint || c.endpoint.toLowerCase() === endpoint.toLowerCase()));
  }

  /** The RQNT now in force on the endpoint. */
  lastRequest(endpoint: string): MgcpCommand | undefined {
    return this.seen('RQNT', endpoint).at(-1);
  }

  /** Waits for an RQNT on the endpoint whose parameter `name` satisfies `test`, after `after` RQNTs. */
  async waitRequest(endpoint: string, name: string, test: (v: string | undefined) => boolean, what: string, after = 0, ms = 10_000): Promise<MgcpCommand> {
    await until(() => this.seen('RQNT', endpoint).slice(after).some((c) => test(paramValue(c, name))), what, ms);
    return this.seen('RQNT', endpoint).slice(after).find((c) => test(paramValue(c, name)))!;
  }

  /** NTFY with the X: of the request in force (or `requestId`); resolves with the switch's answer. */
  notify(endpoint: string, observed: string, requestId?: string): Promise<MgcpResponse> {
    if (!this.ca) throw new Error('the call agent has not sent anything yet');
    const x = requestId ?? paramValue(this.lastRequest(endpoint)!, 'X')!;
    const tx = this.nextTx++;
    const msg = command('NTFY', tx, endpoint, [
      { name: 'X', value: x },
      { name: 'O', value: observed },
    ]);
    const ca = this.ca;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to NTFY ${tx}`)), 5000);
      this.pending.set(tx, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.sock.send(encode(msg), ca.port, ca.address);
    });
  }

  /**
   * Dials `digits` as a phone would, by the digit map of the request in force: notifies when the map
   * completes, or adds the timer ("T") at the end when it is only ambiguous or partial.
   */
  async dial(endpoint: string, digits: string): Promise<MgcpResponse> {
    const req = this.lastRequest(endpoint);
    const text = req && paramValue(req, 'D');
    if (!text) throw new Error('no digit map in the request in force');
    const map = parseDigitMap(text);
    if (!map.ok) throw new Error(`the switch sent a digit map this gateway cannot read: ${map.error}`);
    let collected = '';
    for (const d of digits) {
      collected += d;
      if (matchDigitMap(map.map, collected) === 'complete') break;
    }
    if (matchDigitMap(map.map, collected) !== 'complete') collected += 'T';
    return this.notify(endpoint, [...collected].map((d) => `D/${d}`).join(','));
  }

  close(): void {
    this.sock.close();
  }
}

/**
 * The bearer side of the ISUP continuity check (Q.764 §2.1.8, T1.113.4 §2.1.8) on the switch's
 * media gateways. When the far exchange asks for a check in its IAM (or re-checks with CCR), the
 * circuit's DS0 is looped at the gateway (MGCP CRCX with mode "loopback", RFC 3435 §3.2.2.6;
 * H.248 streamMode loopBack) so the far end's check tone comes back to it; the loop is taken down
 * when the check is over (COT received, or the circuit cleared).
 *
 * The outgoing side (sending and detecting the tone ourselves) uses the gateway's tone package
 * (MGCP T/co1, continuity-tone.ts) when a tester is given; without one (H.248 gateways: the ct
 * package is not driven), a test asked of this switch fails and says why.
 */
import { BearerError, type BearerConnection, type BearerPort } from '../mgcp/bearer-port.js';
import type { Logger } from '../util/log.js';

export type ContinuityRole = 'loopback' | 'test';

export class ContinuityLoops {
  private readonly loops = new Map<string, BearerConnection>();
  private readonly pending = new Map<string, Promise<BearerConnection | undefined>>();
  private seq = 0;

  constructor(
    private readonly bearer: BearerPort,
    /** The gateway endpoint of a circuit; undefined when its trunk group has no gateway. */
    private readonly endpointFor: (trunkGroup: string, cic: number) => string | undefined,
    private readonly log: Logger,
    /** Sends the check tone on an endpoint and detects its return (RFC 3660 T/co1). */
    private readonly tone?: (endpoint: string) => Promise<boolean>,
  ) {}

  /** The IsupService continuity hook: resolves whether the bearer did its part. */
  async check(trunkGroup: string, cic: number, role: ContinuityRole): Promise<boolean> {
    if (role === 'test' && this.tone) {
      const endpoint = this.endpointFor(trunkGroup, cic);
      if (!endpoint) {
        this.log.warn({ trunkGroup, cic }, 'continuity test on a trunk group without a gateway: no tone can be sent; the check fails');
        return false;
      }
      return this.tone(endpoint);
    }
    if (role === 'test') {
      this.log.warn({ trunkGroup, cic }, 'continuity test asked of this switch: sending and detecting the check tone needs the gateway tone package, which this switch does not drive; the check fails');
      return false;
    }
    const endpoint = this.endpointFor(trunkGroup, cic);
    // No gateway on the trunk group: nothing to loop, the check cannot be made by the bearer.
    if (!endpoint) return true;
    const key = `${trunkGroup}/${cic}`;
    if (this.loops.has(key)) return true; // a re-check on a loop still in place
    const making = this.make(key, endpoint);
    this.pending.set(key, making);
    const conn = await making;
    if (this.pending.get(key) === making) this.pending.delete(key);
    return conn !== undefined;
  }

  /** The check on this circuit is over: delete its loop (never rejects). */
  end(trunkGroup: string, cic: number): void {
    const key = `${trunkGroup}/${cic}`;
    const making = this.pending.get(key);
    this.pending.delete(key);
    const take = async () => {
      if (making) await making;
      const conn = this.loops.get(key);
      if (!conn) return;
      this.loops.delete(key);
      try {
        await this.bearer.deleteConnection(conn);
        this.log.info({ trunkGroup, cic, endpoint: conn.endpoint }, 'continuity loop removed');
      } catch (err) {
        this.log.warn({ trunkGroup, cic, endpoint: conn.endpoint, err: err instanceof Error ? err.message : err }, 'continuity loop DLCX failed; the gateway keeps it until audited');
      }
    };
    void take();
  }

  /** The loop connection in place on a circuit (its localSdp is where the far end's tone goes). */
  loopOf(trunkGroup: string, cic: number): BearerConnection | undefined {
    return this.loops.get(`${trunkGroup}/${cic}`);
  }

  get size(): number {
    return this.loops.size;
  }

  private async make(key: string, endpoint: string): Promise<BearerConnection | undefined> {
    try {
      const conn = await this.bearer.createConnection({ endpoint, callId: `c0${(++this.seq).toString(16).padStart(6, '0')}`, mode: 'loopback' });
      this.loops.set(key, conn);
      this.log.info({ circuit: key, endpoint: conn.endpoint, connectionId: conn.connectionId }, 'continuity loop connected');
      return conn;
    } catch (err) {
      this.log.warn({ circuit: key, endpoint, err: err instanceof BearerError ? err.message : err }, 'continuity loop refused by the gateway; the check fails (the far end re-checks after T24/T26)');
      return undefined;
    }
  }
}

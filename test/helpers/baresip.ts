/**
 * baresip (Debian 1.0.0) as a real softphone for tests: a temporary config directory (loopback SIP
 * listener, no sound card — ausine as the source, aufile as the player — and ctrl_tcp), one account
 * with digest credentials, driven over ctrl_tcp's netstring-framed JSON (commands in, events out).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './sipp.js';

export function hasBaresip(): boolean {
  return spawnSync('baresip', ['-h'], { stdio: 'ignore' }).error === undefined;
}

export interface BaresipEvent {
  event?: boolean;
  class?: string;
  type?: string;
  accountaor?: string;
  param?: string;
  response?: boolean;
  ok?: boolean;
  data?: string;
  [k: string]: unknown;
}

export interface BaresipOptions {
  /** Account line URI, e.g. sip:1001@acme.example. */
  aor: string;
  password: string;
  /** Where to send everything (the switch's SIP address), e.g. 127.0.0.1:5060. */
  outbound: string;
  /** Answer incoming calls at once. */
  autoAnswer?: boolean;
  /** DNS server baresip asks (`host:port`), e.g. a test's dnsmasq: then `outbound` may be a name located by RFC 3263. */
  dnsServer?: string;
  /** Registration interval in seconds (default 600). */
  regint?: number;
}

export class Baresip {
  readonly events: BaresipEvent[] = [];
  readonly dir: string;
  private child?: ChildProcess;
  private sock?: Socket;
  private buf = '';
  log = '';
  sipPort = 0;

  private constructor(private readonly o: BaresipOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  }

  static async start(o: BaresipOptions): Promise<Baresip> {
    const b = new Baresip(o);
    await b.launch();
    return b;
  }

  private async launch(): Promise<void> {
    this.sipPort = await freeUdpPort();
    const ctrlPort = await freeUdpPort();
    writeFileSync(
      join(this.dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${this.sipPort}`,
        'net_interface 127.0.0.1',
        ...(this.o.dnsServer ? [`dns_server ${this.o.dnsServer}`] : []),
        `audio_player aufile,${join(this.dir, 'heard.wav')}`,
        'audio_source ausine,440',
        // ausine generates 48 kHz stereo only (measured: anything else fails the call's audio start).
        'ausrc_srate 48000',
        'auplay_srate 48000',
        'ausrc_channels 2',
        `audio_alert aufile,${join(this.dir, 'alert.wav')}`,
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module ausine.so',
        'module aufile.so',
        'module ctrl_tcp.so',
        'module_app account.so',
        'module_app menu.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        '',
      ].join('\n'),
    );
    const params = [`auth_pass=${this.o.password}`, `outbound="sip:${this.o.outbound};transport=udp"`, `regint=${this.o.regint ?? 600}`, 'mwi=no', ...(this.o.autoAnswer ? ['answermode=auto'] : [])];
    // The account is added over ctrl_tcp once connected (uanew), so that its REGISTER_OK event cannot
    // happen before anyone listens.
    writeFileSync(join(this.dir, 'accounts'), '');
    this.accountLine = `<${this.o.aor}>;${params.join(';')}`;
    this.child = spawn('baresip', ['-f', this.dir, '-v', '-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.log += d.toString('utf8')));
    this.child.stderr?.on('data', (d: Buffer) => (this.log += d.toString('utf8')));
    // ctrl_tcp listens once the modules are loaded.
    const end = Date.now() + 10_000;
    for (;;) {
      try {
        this.sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(ctrlPort, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch (err) {
        if (Date.now() > end) throw new Error(`baresip ctrl_tcp did not come up: ${String(err)}\n${this.log.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.sock.on('data', (d: Buffer) => this.onData(d.toString('utf8')));
    this.sock.on('close', () => (this.log += '\n[ctrl_tcp connection closed]\n'));
    this.sock.on('error', () => undefined);
    this.command('uanew', this.accountLine);
  }

  private accountLine = '';

  /** Netstrings: `<length>:<json>,` (ctrl_tcp framing). */
  private onData(text: string): void {
    this.buf += text;
    for (;;) {
      const colon = this.buf.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buf.slice(0, colon));
      if (!Number.isInteger(len) || this.buf.length < colon + 1 + len + 1) return;
      const json = this.buf.slice(colon + 1, colon + 1 + len);
      this.buf = this.buf.slice(colon + 1 + len + 1);
      try {
        this.events.push(JSON.parse(json) as BaresipEvent);
      } catch {
        this.events.push({ data: json });
      }
    }
  }

  command(command: string, params = ''): void {
    const json = JSON.stringify({ command, params, token: String(this.events.length) });
    this.sock?.write(`${Buffer.byteLength(json)}:${json},`);
  }

  /** Resolves with the first event matching, waiting up to `ms`. */
  async waitFor(match: (e: BaresipEvent) => boolean, what: string, ms = 15_000): Promise<BaresipEvent> {
    const end = Date.now() + ms;
    for (;;) {
      const e = this.events.find(match);
      if (e) return e;
      if (Date.now() > end) throw new Error(`baresip: timed out waiting for ${what}; events: ${JSON.stringify(this.events).slice(-2500)}\nlog: ${this.log.slice(-6000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.sock?.destroy();
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 3000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

import { Registry } from 'prom-client';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiExposure, isLoopbackHost, preflightApi } from '../../src/api/exposure.js';
import { apiConfigSchema } from '../../src/api/config.js';
import { createApiServer } from '../../src/api/server.js';
import { SoftswitchError } from '../../src/errors.js';
import { silentLogger } from '../../src/util/log.js';
import { TOKENS, tokenEntries } from './app.js';

const api = (o: Record<string, unknown>) => apiConfigSchema.parse(o);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SoftswitchError ? err.code : String(err);
  }
  return undefined;
}

describe('who can reach the API decides what it needs', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.5', 'example.com', 'localhost.example.com', '::ffff:10.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('beyond loopback: TLS and tokens in every profile, else SSW_ERR_API_INSECURE naming what is missing', () => {
    const tls = { cert: '/x.pem', key: '/x.key' };
    for (const lab of [false, true]) {
      expect(codeOf(() => apiExposure(api({ host: '0.0.0.0' }), lab))).toBe('SSW_ERR_API_INSECURE');
      expect(codeOf(() => apiExposure(api({ host: '0.0.0.0', tls }), lab))).toBe('SSW_ERR_API_INSECURE');
      expect(codeOf(() => apiExposure(api({ host: '192.0.2.5', tokens: tokenEntries }), lab))).toBe('SSW_ERR_API_INSECURE');
      expect(apiExposure(api({ host: '0.0.0.0', tls, tokens: tokenEntries }), lab)).toEqual({ auth: true, loopback: false });
    }
    expect(() => apiExposure(api({ host: '0.0.0.0' }), false)).toThrow(/api\.tls \(cert and key files\) and api\.tokens/);
    expect(() => apiExposure(api({ host: '0.0.0.0', tokens: tokenEntries }), false)).toThrow(/configure api\.tls/);
  });

  it('on loopback: production always checks tokens; the lab without tokens runs with authentication off', () => {
    expect(apiExposure(api({}), false)).toEqual({ auth: true, loopback: true });
    expect(apiExposure(api({ tokens: tokenEntries }), true)).toEqual({ auth: true, loopback: true });
    expect(apiExposure(api({}), true)).toEqual({ auth: false, loopback: true });
    expect(apiExposure(api({ host: '::1' }), true)).toEqual({ auth: false, loopback: true });
  });

  it('createApiServer refuses the same configurations (any assembly, not only the CLI)', async () => {
    await expect(createApiServer({ logger: silentLogger, registry: new Registry(), config: api({ host: '0.0.0.0' }), lab: true })).rejects.toMatchObject({ code: 'SSW_ERR_API_INSECURE' });
    expect(codeOf(() => preflightApi(api({ tls: { cert: '/nonexistent.pem', key: '/nonexistent.key' } }), false))).toBe('SSW_ERR_API_TLS');
  });
});

const openssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!openssl)('TLS (api.tls)', () => {
  it('serves HTTPS with the configured certificate (verified by the client) and refuses plain HTTP on that port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const app = await createApiServer({ logger: silentLogger, registry: new Registry(), config: api({ host: '0.0.0.0', tls: { cert, key }, tokens: tokenEntries }), lab: false });
    try {
      // Policy is checked on the configured host; the test listens on loopback only.
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as { port: number };
      const status = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          httpsGet({ host: '127.0.0.1', port, path: '/api/v1/routes/lookup?number=1', headers, ca: readFileSync(cert) }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on('error', reject);
        });
      expect(await status({})).toBe(401);
      // No lookup routes are mounted here: 404 means the token got through.
      expect(await status({ authorization: `Bearer ${TOKENS['read-only']}` })).toBe(404);
      const plain = await new Promise<string>((resolve) => {
        httpGet({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
          res.resume();
          resolve(`status ${res.statusCode}`);
        }).on('error', (err) => resolve(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      });
      expect(plain).not.toBe('status 200');
    } finally {
      await app.close();
    }
  });
});

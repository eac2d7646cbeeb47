/**
 * Who can reach the admin API decides how it must be protected:
 *   - bound beyond loopback: TLS (api.tls) and at least one token (api.tokens), in every profile;
 *   - production on loopback: tokens are required on every route but /healthz (with none
 *     configured every request is refused, fail-closed);
 *   - the lab profile on loopback with no tokens: authentication off, said in a log line.
 * Checked before any socket opens (CLI `start`) and again when the API is created.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { SoftswitchError } from '../errors.js';
import type { ApiConfig } from './config.js';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

export interface ApiExposure {
  /** Bearer tokens are checked (false only for the lab profile on loopback without tokens). */
  auth: boolean;
  loopback: boolean;
}

export function apiExposure(api: Pick<ApiConfig, 'host' | 'tokens' | 'tls'>, lab: boolean): ApiExposure {
  const loopback = isLoopbackHost(api.host);
  if (!loopback) {
    const missing = [api.tls ? '' : 'api.tls (cert and key files)', api.tokens.length ? '' : 'api.tokens (softswitch api token create)'].filter(Boolean);
    if (missing.length) throw new SoftswitchError('SSW_ERR_API_INSECURE', `api.host ${api.host} is reachable beyond loopback; configure ${missing.join(' and ')}, or bind api.host to 127.0.0.1`);
    return { auth: true, loopback };
  }
  return { auth: api.tokens.length > 0 || !lab, loopback };
}

/** The TLS files of api.tls, read (SSW_ERR_API_TLS when they cannot be). */
export function readApiTls(tls: NonNullable<ApiConfig['tls']>): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  } catch (err) {
    throw new SoftswitchError('SSW_ERR_API_TLS', (err as Error).message, { cause: err });
  }
}

/** Everything about the API a start can refuse on, checked before any socket opens. */
export function preflightApi(api: Pick<ApiConfig, 'host' | 'tokens' | 'tls'>, lab: boolean): ApiExposure {
  const exposure = apiExposure(api, lab);
  if (api.tls) readApiTls(api.tls);
  return exposure;
}

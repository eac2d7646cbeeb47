/** Reads the PEM files named in `sip.tls` for the TLS transport (RFC 3261 §26.2.1). */
import { readFileSync } from 'node:fs';
import { SoftswitchError } from '../errors.js';
import type { TlsFiles } from './transport-stream.js';

export interface TlsFileNames {
  port?: number;
  certFile: string;
  keyFile: string;
  caFile?: string;
  requireClientCert?: boolean;
}

export function readTlsFiles(names: TlsFileNames): TlsFiles & { port?: number } {
  const read = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `sip.tls.${key} "${path}" cannot be read (${(err as Error).message})`, { cause: err });
    }
  };
  return {
    port: names.port,
    cert: read('certFile', names.certFile),
    key: read('keyFile', names.keyFile),
    ca: names.caFile ? read('caFile', names.caFile) : undefined,
    requireClientCert: names.requireClientCert,
  };
}

/**
 * The CLI's client of the admin API: JSON requests, a streamed file upload with progress, and
 * the plain-text table the commands print for people. Address and token come from --api/--token
 * or SSW_API_URL / SSW_API_TOKEN.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const DEFAULT_API = 'http://127.0.0.1:8080';

export interface ApiReply {
  status: number;
  json: unknown;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function call(base: string, token: string | undefined, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<ApiReply> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: parse(await res.text()) };
}

/**
 * POSTs a file as the body, streamed, reporting bytes sent; resolves with the reply even when the
 * server answers before the whole file is sent (a refused deck) and stops sending then.
 */
export async function uploadFile(base: string, token: string | undefined, path: string, file: string, contentType: string, onProgress: (sent: number, total: number) => void): Promise<ApiReply> {
  const { size } = await stat(file);
  const url = new URL(path, base);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<ApiReply>((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers: { 'content-type': contentType, 'content-length': size, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const input = createReadStream(file, { highWaterMark: 256 * 1024 });
    let sent = 0;
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      input.destroy();
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: parse(text) }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    input.on('data', (chunk) => {
      sent += chunk.length;
      onProgress(sent, size);
      if (!req.write(chunk)) {
        input.pause();
        req.once('drain', () => input.resume());
      }
    });
    input.on('end', () => req.end());
    input.on('error', (err) => {
      req.destroy();
      reject(err);
    });
  });
}

/** Rows as aligned columns (scalar fields only), or "(none)". */
export function table(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(none)';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => rows.some((r) => typeof r[c] !== 'object' || r[c] === null));
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i])).join('  ').trimEnd();
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

/** The error text of a reply. */
export function replyError(r: ApiReply): string {
  const msg = typeof r.json === 'object' && r.json && 'error' in r.json ? String((r.json as { error: unknown }).error) : String(r.json);
  return `${r.status}: ${msg}${r.status === 401 ? ' (give --token or SSW_API_TOKEN)' : ''}`;
}

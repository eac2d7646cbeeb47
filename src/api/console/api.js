// The admin API as the console calls it: the token from sessionStorage as a bearer token, JSON in
// and out, and a 401 anywhere sends the operator back to the sign-in form.
const KEY = 'softswitch.apiToken';

export class Unauthorized extends Error {}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

async function call(method, path, body, as = 'json') {
  const headers = { accept: as === 'json' ? 'application/json' : '*/*' };
  const t = token.get();
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized((await res.json().catch(() => ({}))).error ?? 'unauthorized');
  if (as === 'blob' && res.ok) return res.blob();
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${data.error ?? ''}`.trim());
  return data;
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body = {}) => call('POST', path, body),
  blob: (path) => call('GET', path, undefined, 'blob'),
};

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { class5ConfigSchema } from '../../src/class5/config.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { class5AdmissionHook, class5Refusal, voicemailHosts } from '../../src/class5/admission.js';

const tenants = new TenantDirectory(
  class5ConfigSchema.parse({
    tenants: [{ id: 'acme', domain: 'acme.example', voicemail: 'sip:vm@192.0.2.9:5080', extensions: [{ number: '1001', password: 'x' }] }],
  }),
);
const vm = voicemailHosts(tenants);
const req = (method: string, headers: Record<string, string>, address = '203.0.113.7') => ({ address, port: 5060, method, header: (n: string) => headers[n.toLowerCase()] });

describe('Class 5 admission before any SIP state', () => {
  it('REGISTER by To host, INVITE and SUBSCRIBE by From host, NOTIFY only from a voicemail server', () => {
    expect(class5Refusal(tenants, vm, req('REGISTER', { to: '<sip:1001@ACME.example>' }))).toBeUndefined();
    expect(class5Refusal(tenants, vm, req('REGISTER', { to: '<sip:1001@initech.example>' }))).toBe('unknown-domain');
    expect(class5Refusal(tenants, vm, req('INVITE', { from: '"x" <sip:1001@acme.example>;tag=1' }))).toBeUndefined();
    expect(class5Refusal(tenants, vm, req('INVITE', { from: '<sip:1001@198.51.100.1>;tag=1' }))).toBe('unknown-domain');
    expect(class5Refusal(tenants, vm, req('SUBSCRIBE', {}))).toBe('unknown-domain');
    expect(class5Refusal(tenants, vm, req('NOTIFY', {}, '192.0.2.9'))).toBeUndefined();
    expect(class5Refusal(tenants, vm, req('NOTIFY', {}))).toBe('not-voicemail-server');
    expect(class5Refusal(tenants, vm, req('OPTIONS', {}))).toBe('method');
  });

  it('trunk sources are accepted whatever they send; the rest get the operator’s verdict', () => {
    const hook = class5AdmissionHook(tenants, (a) => a === '10.0.0.1', 'drop', new Registry());
    expect(hook(req('OPTIONS', {}, '10.0.0.1'))).toBe('accept');
    expect(hook(req('REGISTER', { to: '<sip:1001@acme.example>' }))).toBe('accept');
    expect(hook(req('REGISTER', { to: 'garbage' }))).toBe('drop');
  });
});

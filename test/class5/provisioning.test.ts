/**
 * The provisioning service's merge of the configuration file and the store (SQLite in memory):
 * the file wins a clash at load, a DID may ring a hunt group, the caller-ID policy reaches the
 * dial plan's view of an extension, and the SIP admission hook sees tenants and voicemail servers
 * added at run time without being rebuilt.
 */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { openDatabase } from '../../src/store/database.js';
import { SqliteTenantRepository } from '../../src/store/sqlite-tenants.js';
import { SqliteFeatureSettings } from '../../src/store/feature-settings.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { TenantProvisioning } from '../../src/class5/provisioning.js';
import { tenantSchema } from '../../src/class5/config.js';
import { class5AdmissionHook } from '../../src/class5/admission.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';

const T0 = '2026-11-30T10:00:00.000Z';
const filed = tenantSchema.parse({ id: 'filed', domain: 'filed.example', extensions: [{ number: '100', password: 'filed-pw' }], dids: [{ did: '2125550900', extension: '100' }] });

function setup() {
  const db = openDatabase(':memory:');
  const repo = new SqliteTenantRepository(db);
  const directory = new TenantDirectory({ tenants: [filed] });
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const p = new TenantProvisioning({ repo, directory, configTenants: [filed], clock: systemClock, logger });
  return { db, repo, directory, p, lines };
}

describe('tenant provisioning service', () => {
  it('at load the configuration file wins: a stored tenant on its domain, or a stored DID it has, is left out and the log names the key', async () => {
    const { repo, directory, p, lines } = setup();
    // Rows as an earlier run (before the file claimed these keys) left them.
    await repo.putTenant({ id: 'squatter', domain: 'filed.example', callerIdPolicy: 'extension', cos: 'national', huntGroups: [], createdAt: T0, updatedAt: T0 });
    await repo.putTenant({ id: 'fine', domain: 'fine.example', callerIdPolicy: 'extension', cos: 'national', huntGroups: [], createdAt: T0, updatedAt: T0 });
    await repo.putExtension({ tenantId: 'fine', number: '200', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), features: {}, createdAt: T0, updatedAt: T0 });
    await repo.putDid({ did: '2125550900', tenantId: 'fine', extension: '200', createdAt: T0 });
    expect(await p.load()).toEqual({ tenants: 1, skipped: 1 });
    expect(directory.byDomain('filed.example')?.id).toBe('filed');
    expect(directory.byId('squatter')).toBeUndefined();
    expect(directory.did('2125550900')?.tenant.id).toBe('filed');
    expect(directory.byId('fine')?.extensions.has('200')).toBe(true);
    const log = lines.join('');
    expect(log).toMatch(/stored tenant squatter left out of service: domain: filed\.example is tenant filed's in the configuration file/);
    expect(log).toMatch(/stored DID 2125550900 left out of service: tenant filed \(configuration file\) has it/);
  });

  it('a DID rings a hunt group; a hunt group in use by a DID or made of an extension cannot be pulled from under it', async () => {
    const { directory, p } = setup();
    await p.load();
    await p.createTenant({ id: 'acme', domain: 'acme.example' });
    await p.addExtension('acme', { number: '1001', password: 'acme-1001-pw' });
    await p.addExtension('acme', { number: '1002', password: 'acme-1002-pw' });
    await p.updateTenant('acme', { huntGroups: [{ number: '500', strategy: 'simultaneous', members: ['1001', '1002'], ringS: 10 }] });
    await p.addDid('acme', { did: '2125550500', huntGroup: '500' });
    expect(directory.did('12125550500')).toMatchObject({ tenant: { id: 'acme' }, huntGroup: { number: '500', strategy: 'simultaneous' } });
    await expect(p.updateTenant('acme', { huntGroups: [] })).rejects.toThrow(/DID 2125550500 rings hunt group 500/);
    await expect(p.deleteExtension('acme', '1002')).rejects.toThrow(/member of hunt group 500/);
    await expect(p.addExtension('acme', { number: '500', password: 'xxxxxxxx' })).rejects.toThrow(/500 is a hunt group/);
    await expect(p.addDid('acme', { did: '2125550501', extension: '1001', huntGroup: '500' })).rejects.toThrow(/exactly one/);
  });

  it('caller-ID policy main-number hides extension caller IDs from the dial plan; the domain cannot change under extensions', async () => {
    const { directory, p } = setup();
    await p.load();
    await p.createTenant({ id: 'acme', domain: 'acme.example', mainNumber: '2125550400', cos: 'international' });
    await p.addExtension('acme', { number: '1001', password: 'acme-1001-pw', callerId: '2125550401' });
    expect(directory.byId('acme')!.extensions.get('1001')).toMatchObject({ callerId: '2125550401', cos: 'international' });
    await p.updateTenant('acme', { callerIdPolicy: 'main-number' });
    expect(directory.byId('acme')!.extensions.get('1001')?.callerId).toBeUndefined();
    await expect(p.updateTenant('acme', { domain: 'acme2.example' })).rejects.toThrow(/bound to acme\.example/);
  });

  it('the SIP admission hook sees a tenant and its voicemail server as soon as they are provisioned', async () => {
    const { directory, p } = setup();
    await p.load();
    const admit = class5AdmissionHook(directory, () => false, 'reject', new Registry());
    const register = { method: 'REGISTER', address: '192.0.2.10', port: 5060, header: (n: string) => (n === 'to' ? '<sip:1001@acme.example>' : undefined) };
    const notify = { method: 'NOTIFY', address: '127.0.0.9', port: 5060, header: () => undefined };
    expect(admit(register as never)).toBe('reject');
    expect(admit(notify as never)).toBe('reject');
    await p.createTenant({ id: 'acme', domain: 'acme.example', voicemail: 'sip:vm@127.0.0.9:5080' });
    expect(admit(register as never)).toBe('accept');
    expect(admit(notify as never)).toBe('accept');
    await p.deleteTenant('acme');
    expect(admit(register as never)).toBe('reject');
  });

  it('changes run one at a time: two creates of one id at once give one tenant and one conflict', async () => {
    const { p } = setup();
    await p.load();
    const results = await Promise.allSettled([p.createTenant({ id: 'race', domain: 'race-a.example' }), p.createTenant({ id: 'race', domain: 'race-b.example' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(p.listTenants().filter((t) => t.id === 'race')).toHaveLength(1);
  });

  it('a removed extension takes its star-code settings along: a new holder of the number does not inherit forwarding', async () => {
    const db = openDatabase(':memory:');
    const settings = new SqliteFeatureSettings(db);
    const directory = new TenantDirectory({ tenants: [] });
    const p = new TenantProvisioning({ repo: new SqliteTenantRepository(db), directory, configTenants: [], clock: systemClock, logger: silentLogger, forgetFeatureSettings: (t, e) => settings.clear(t, e) });
    await p.load();
    await p.createTenant({ id: 'acme', domain: 'acme.example' });
    await p.addExtension('acme', { number: '1001', password: 'acme-1001-pw' });
    await p.addExtension('acme', { number: '1002', password: 'acme-1002-pw' });
    settings.set('acme', '1001', { cfu: '2125559999' });
    settings.set('acme', '1002', { dnd: true });
    await p.deleteExtension('acme', '1001');
    expect(settings.get('acme', '1001')).toEqual({});
    expect(settings.get('acme', '1002')).toEqual({ dnd: true });
    await p.deleteTenant('acme');
    expect(settings.get('acme', '1002')).toEqual({});
  });

  it('a silent logger is enough (the service logs through a child)', async () => {
    const db = openDatabase(':memory:');
    const p = new TenantProvisioning({ repo: new SqliteTenantRepository(db), directory: new TenantDirectory({ tenants: [] }), configTenants: [], clock: systemClock, logger: silentLogger });
    expect(await p.load()).toEqual({ tenants: 0, skipped: 0 });
  });
});

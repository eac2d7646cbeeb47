import { describe, expect, it } from 'vitest';
import { DrachtioSignallingPort } from '../../src/sip/drachtio-adapter.js';
import { silentLogger } from '../../src/util/log.js';
import { createServer } from 'node:net';

const host = process.env.DRACHTIO_HOST;

describe('drachtio-srf adapter', () => {
  it('reports SSW_ERR_DRACHTIO_UNAVAILABLE when the server does not accept us', async () => {
    // A TCP listener that never speaks the drachtio protocol stands in for a wrong/unready endpoint.
    const srv = createServer((s) => s.resume());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await expect(DrachtioSignallingPort.connect({ host: '127.0.0.1', port, secret: 'x', logger: silentLogger, connectTimeoutMs: 300 })).rejects.toMatchObject({ code: 'SSW_ERR_DRACHTIO_UNAVAILABLE' });
    // The server only closes once the adapter has ended its connection (and not reconnected).
    await new Promise<void>((r) => srv.close(() => r()));
  });

  it.skipIf(!host)('connects to the drachtio-server in DRACHTIO_HOST (set DRACHTIO_HOST, DRACHTIO_PORT, DRACHTIO_SECRET to run)', async () => {
    const port = await DrachtioSignallingPort.connect({ host: host!, port: Number(process.env.DRACHTIO_PORT ?? 9022), secret: process.env.DRACHTIO_SECRET ?? 'cymru', logger: silentLogger });
    port.onInvite((_req, res) => res.send(486));
    await port.close();
  });
});

if (!host) console.info('drachtio integration test skipped: no drachtio-server here (set DRACHTIO_HOST to run it)');

import type { Config } from '../config/schema.js';
import { createLogger } from '../util/log.js';
import { startSwitch } from './start.js';

/** `softswitch start`: run until SIGTERM/SIGINT, then drain calls and stop cleanly. */
export async function runSoftswitch(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  // A promise rejected with nobody listening is a bug to fix, not a reason to drop every call.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection (a bug: please report it with this log line); the switch keeps running');
  });
  const ssw = await startSwitch(config, logger);
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (!flags.some((f) => f.startsWith('--max-semi-space-size'))) {
    logger.info('started without the switch\'s V8 flags: it carries fewer calls per second this way (start it with bin/softswitch-node.sh, as npm start and the container do)');
  }
  // An exception thrown out of an event handler leaves state unknown: release calls cleanly, then exit for the supervisor to restart.
  process.once('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception: stopping cleanly; the process supervisor should restart the switch');
    ssw.stop().finally(() => process.exit(1));
  });
  const summary = [
    `softswitch ${config.node.name} up${config.lab.enabled ? ' (lab profile: tandem simulator beside the switch)' : ''}`,
    `  SIP       ${config.sip.adapter === 'embedded' ? config.sip.transports.filter((t) => t !== 'tls').join('/') : 'udp'} ${config.sip.address}:${ssw.sipPort}`,
    config.sip.adapter === 'embedded' && config.sip.transports.includes('tls') ? `  SIP       tls ${config.sip.address}:${config.sip.tls?.port ?? (config.sip.port === 0 ? 'OS-chosen' : ssw.sipPort + 1)}` : '',
    `  admin API ${config.api.tls ? 'https' : 'http'}://${config.api.host}:${ssw.apiPort} (/healthz, /metrics, /api/v1/calls, /api/v1/cdrs, /api/v1/openapi.json)`,
    ssw.tandem ? `  tandem    SCTP/UDP 127.0.0.1:${ssw.tandem.port} (M3UA SG, ISUP ${config.ss7.variant})` : '',
    ssw.osmoMgw ? `  gateway   osmo-mgw MGCP 127.0.0.1:${ssw.osmoMgw.port}` : config.lab.enabled ? '  gateway   none (osmo-mgw not installed: no media)' : '',
    `  try:      sipp -sn uac -s 12125550150 ${config.sip.address}:${ssw.sipPort} -m 1 -p 5099 -mp 16000 -cp 8099`,
    ssw.tandem ? `  incoming: sipp -sn uas -i 127.0.0.1 -p 5090 -mp 16002 -cp 8090   then   curl -XPOST localhost:${ssw.apiPort}/api/v1/lab/tandem/originate -H 'content-type: application/json' -d '{"called":"2125550150","holdMs":3000}'` : '',
  ].filter(Boolean);
  process.stdout.write(summary.join('\n') + '\n');
  // SIGHUP: reload rate decks (including ones imported with `softswitch routes import`) and LNP data.
  const onHup = () => {
    logger.info('SIGHUP: reloading routing data');
    ssw.routing.reload().then(
      (results) => logger.info({ results }, 'routing data reloaded'),
      (err: unknown) => logger.error({ err }, 'routing reload failed; the previous table stays active'),
    );
  };
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.off('SIGHUP', onHup);
  logger.info('shutting down: refusing new calls, releasing active calls');
  await ssw.stop();
  logger.info('stopped');
  return 0;
}

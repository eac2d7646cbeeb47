import type { Config } from '../../../config/schema.js';
import { createLogger } from '../../../util/log.js';
import { startTandemSimulator } from './server.js';

/** `softswitch tandem-sim`: runs the simulator alone until SIGINT/SIGTERM. */
export async function runTandemSimulator(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  const handle = await startTandemSimulator(config, logger);
  process.stdout.write(`tandem simulator: SCTP/UDP port ${handle.port}, point code ${config.lab.tandemSim.pointCode}\n`);
  for (const n of handle.nodes) process.stdout.write(`tandem simulator: node ${n.node} ASP on SCTP/UDP port ${n.port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await handle.stop();
  return 0;
}

/** The lab's osmo-mgw launcher, used by tests as their real MGCP gateway. */
export { hasOsmoMgw, startOsmoMgw, OSMO_MGW_MISSING, type OsmoMgw } from '../../src/app/lab/osmo-mgw.js';

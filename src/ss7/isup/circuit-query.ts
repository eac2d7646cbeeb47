/**
 * Circuit state indicator (Q.763 §3.14; T1.113.3 §3.14), one octet per circuit in CQR:
 * bits BA maintenance blocking state, DC call processing state, FE hardware blocking state.
 * With DC = 00, BA = 00 means transient and BA = 11 unequipped.
 */
import type { CircuitState } from './circuits.js';

export interface CircuitStateReport {
  cic: number;
  call: 'idle' | 'incoming' | 'outgoing' | 'transient' | 'unequipped';
  maintenance: { local: boolean; remote: boolean };
  hardware: { local: boolean; remote: boolean };
}

const blockBits = (local: boolean, remote: boolean) => (local ? 1 : 0) | (remote ? 2 : 0);

/** The octet describing our circuit; undefined circuit = unequipped. */
export function encodeCircuitState(c: CircuitState | undefined): number {
  if (!c) return 0x03;
  // A circuit supervision works on is neither idle nor in a call: transient.
  if (c.outOfService !== undefined && c.call === 'idle') return 0x00;
  const dc = c.call === 'incoming' ? 1 : c.call === 'outgoing' ? 2 : 3;
  return blockBits(c.localMaintenanceBlocked, c.remoteMaintenanceBlocked) | (dc << 2) | (blockBits(c.localHardwareBlocked, c.remoteHardwareBlocked) << 4);
}

/**
 * Reads an octet received from the far end. Its "local" is the far end's own side: it is
 * reported as-is here (the caller knows whose view it is).
 */
export function decodeCircuitState(cic: number, octet: number): CircuitStateReport {
  const ba = octet & 3;
  const dc = (octet >> 2) & 3;
  const fe = (octet >> 4) & 3;
  if (dc === 0) {
    return { cic, call: ba === 3 ? 'unequipped' : 'transient', maintenance: { local: false, remote: false }, hardware: { local: false, remote: false } };
  }
  return {
    cic,
    call: dc === 1 ? 'incoming' : dc === 2 ? 'outgoing' : 'idle',
    maintenance: { local: (ba & 1) === 1, remote: (ba & 2) === 2 },
    hardware: { local: (fe & 1) === 1, remote: (fe & 2) === 2 },
  };
}

/** Our own circuit in the same form. */
export function reportOf(cic: number, c: CircuitState | undefined): CircuitStateReport {
  return decodeCircuitState(cic, encodeCircuitState(c));
}

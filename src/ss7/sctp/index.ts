export { PPID_M3UA, type SctpAssociation } from './association.js';
export { connectSctpOverUdp, acceptSctpOverUdp, type SctpOverUdpOptions } from './udp-transport.js';
export { connectSctpRaw, acceptSctpRaw, type SctpRawOptions } from './raw-transport.js';
export type { SctpTransportAssociation, SctpAssociationStats } from './package-association.js';
export type { SctpTuning } from './options.js';

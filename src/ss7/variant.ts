/** SS7 national flavour chosen per trunk group: ANSI T1.111/T1.113 or ITU-T Q.704/Q.763. */
export type Variant = 'ansi' | 'itu';

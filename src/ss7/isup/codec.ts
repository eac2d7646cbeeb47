import type { Variant } from '../variant.js';
import { WireWriter } from '../../wire/writer.js';
import { Cause } from './constants.js';
import { LAYOUTS, type FieldDef, type Layout } from './layouts.js';
import { OPTIONAL_TABLES } from './params/registry.js';
import type { IsupDecodeError, IsupErrorReason, IsupMessage, OptionalParam } from './messages.js';

/** Q.763 §1.2: ITU CIC has 12 bits; T1.113.3 §1.2: ANSI CIC has 14 bits; both least significant octet first. */
export function cicMask(variant: Variant): number {
  return variant === 'ansi' ? 0x3fff : 0x0fff;
}

type Fields = Record<string, unknown>;

/** Encoded messages are views into this slab (see WireWriter.restart); 8 KiB, as Node's Buffer pool. */
const slab = new WireWriter(8192);
/** Q.763 §1.3: a message of pointers and length octets of at most 255 fits comfortably. */
const TYPICAL_MAX = 512;

function need(m: Fields, field: string, type: string): unknown {
  const v = m[field];
  if (v === undefined) throw new TypeError(`ISUP ${type}: mandatory field "${field}" is missing`);
  return v;
}

/**
 * Encodes an ISUP message from the CIC on (Q.763 §1.3: fixed part, pointers, variable part,
 * optional part). Throws TypeError/RangeError on programmer errors (a message type or parameter
 * not defined for the variant, a missing mandatory field, a parameter longer than 255 octets).
 */
export function encodeIsup(msg: IsupMessage, variant: Variant): Buffer {
  const c = (variant === 'itu' ? ITU : ANSI).encode[msg.type];
  if (c !== undefined && c.type === msg.type) {
    const b = c.encode(msg);
    if (b !== undefined) return b;
  }
  return encodeIsupByTable(msg, variant);
}

/**
 * Decodes an ISUP message starting at the CIC. Never throws: malformed input yields an
 * IsupDecodeError. Unknown optional parameters pass through as `{ name: 'unknown', code, raw }`.
 */
export function decodeIsup(buf: Buffer, variant: Variant): IsupMessage | IsupDecodeError {
  const n = buf.length;
  if (n >= 3) {
    const dec = (variant === 'itu' ? ITU : ANSI).decode[buf[2]];
    if (dec !== undefined) {
      const m = dec(buf, n);
      if (m !== undefined) return m;
    }
  }
  return decodeIsupByTable(buf, variant);
}

/**
 * The table interpreter: the reference that the compiled codecs below must agree with, and the
 * path that produces every error (a compiled codec gives up on anything unusual and lands here).
 */
export function encodeIsupByTable(msg: IsupMessage, variant: Variant): Buffer {
  const layout = LAYOUTS[variant].byType[msg.type];
  if (layout === undefined || layout.type !== msg.type) throw new RangeError(`ISUP message ${msg.type} is not defined for ${variant}`);
  const m = msg as unknown as Fields;
  const w = slab.restart(TYPICAL_MAX);
  w.u16le(msg.cic & cicMask(variant));
  w.u8(layout.code);
  if (layout.rawBody) {
    w.bytes(need(m, layout.rawBody, msg.type) as Buffer);
    return w.view();
  }
  const fixed = layout.fixed;
  for (let i = 0; i < fixed.length; i++) {
    const d = fixed[i];
    d.encode(w, need(m, d.field, msg.type), variant);
  }
  const ptrBase = w.length;
  const nVar = layout.variable.length;
  for (let i = 0; i < nVar; i++) w.u8(0);
  if (layout.optional) w.u8(0);
  for (let i = 0; i < nVar; i++) {
    const d = layout.variable[i];
    patchPointer(w, ptrBase + i, msg.type);
    writeLengthPrefixed(w, d, need(m, d.field, msg.type), variant, d.field);
  }
  const optional = m.optional as OptionalParam[] | undefined;
  if (optional === undefined || optional.length === 0) return w.view();
  if (layout.optional) {
    patchPointer(w, ptrBase + nVar, msg.type);
    const table = OPTIONAL_TABLES[variant];
    for (let k = 0; k < optional.length; k++) {
      const p = optional[k];
      if (p.name === 'unknown') {
        w.u8(p.code);
        if (p.raw.length > 255) throw new RangeError(`ISUP parameter 0x${p.code.toString(16)} longer than 255 octets`);
        w.u8(p.raw.length).bytes(p.raw);
        continue;
      }
      const e = table.byName[p.name];
      if (e === undefined || e.name !== p.name) throw new RangeError(`ISUP parameter ${p.name} is not defined for ${variant}`);
      w.u8(e.code);
      writeLengthPrefixed(w, e, p.value, variant, p.name);
    }
    w.u8(0);
  } else {
    throw new RangeError(`ISUP ${msg.type} has no optional part`);
  }
  return w.view();
}

function patchPointer(w: WireWriter, at: number, type: string): void {
  const p = w.length - at;
  if (p > 255) throw new RangeError(`ISUP ${type}: pointer exceeds 255 octets`);
  w.patchU8(at, p);
}

function writeLengthPrefixed(w: WireWriter, codec: Pick<FieldDef, 'encode'>, v: unknown, variant: Variant, name: string): void {
  w.u8(0);
  const at = w.length - 1;
  codec.encode(w, v, variant);
  const len = w.length - at - 1;
  if (len > 255) throw new RangeError(`ISUP parameter ${name} longer than 255 octets`);
  w.patchU8(at, len);
}

function fail(reason: IsupErrorReason, detail: string, cic?: number, messageCode?: number, cause?: number): IsupDecodeError {
  const e: IsupDecodeError = { type: 'error', reason, detail };
  if (cic !== undefined) e.cic = cic;
  if (messageCode !== undefined) e.messageCode = messageCode;
  if (cause !== undefined) e.cause = cause;
  return e;
}

/** The table interpreter's decode (see {@link encodeIsupByTable}). */
export function decodeIsupByTable(buf: Buffer, variant: Variant): IsupMessage | IsupDecodeError {
  const n = buf.length;
  if (n < 3) return fail('format-error', `ISUP message of ${n} octets is shorter than CIC + message type`);
  const cic = (buf[0] | (buf[1] << 8)) & cicMask(variant);
  const code = buf[2];
  const layout = LAYOUTS[variant].byCode[code];
  if (!layout) {
    const other = LAYOUTS[variant === 'ansi' ? 'itu' : 'ansi'].byCode[code];
    // Q.764 §2.9.5.1: an unrecognized message is answered by CFN with cause 97.
    return other
      ? fail('not-in-variant', `${other.type} is not an ${variant.toUpperCase()} ISUP message`, cic, code, Cause.MESSAGE_TYPE_NON_EXISTENT)
      : fail('unknown-message', `message type 0x${code.toString(16)} is not known`, cic, code, Cause.MESSAGE_TYPE_NON_EXISTENT);
  }
  const m: Fields = { ...layout.blank };
  m.cic = cic;
  let pos = 3;
  if (layout.rawBody) {
    if (n === pos) return fail('format-error', `${layout.type} carries no embedded message`, cic, code);
    m[layout.rawBody] = Buffer.from(buf.subarray(pos));
    return m as unknown as IsupMessage;
  }
  const fixed = layout.fixed;
  for (let f = 0; f < fixed.length; f++) {
    const d = fixed[f];
    const len = d.fixed;
    if (pos + len > n) return fail('format-error', `${layout.type} ends inside mandatory ${d.field}`, cic, code);
    const v = d.decode(buf, pos, pos + len, variant);
    if (v === undefined) {
      return fail('invalid-mandatory', `${layout.type} ${d.field} is invalid`, cic, code, Cause.INVALID_IE_CONTENTS);
    }
    m[d.field] = v;
    pos += len;
  }
  const nVar = layout.variable.length;
  for (let i = 0; i < nVar; i++) {
    const d = layout.variable[i];
    const at = pos + i;
    if (at >= n) return fail('format-error', `${layout.type} ends before the pointer to ${d.field}`, cic, code);
    const start = at + buf[at];
    if (buf[at] === 0 || start >= n) return fail('format-error', `${layout.type} pointer to ${d.field} is outside the message`, cic, code);
    const end = start + 1 + buf[start];
    if (end > n) return fail('format-error', `${layout.type} ${d.field} runs past the end`, cic, code);
    const v = d.decode(buf, start + 1, end, variant);
    if (v === undefined) {
      return fail('invalid-mandatory', `${layout.type} ${d.field} is invalid`, cic, code, Cause.INVALID_IE_CONTENTS);
    }
    m[d.field] = v;
  }
  if (!layout.optional) return m as unknown as IsupMessage;
  const optional: OptionalParam[] = [];
  m.optional = optional;
  const at = pos + nVar;
  if (at >= n || buf[at] === 0) return m as unknown as IsupMessage;
  const table = OPTIONAL_TABLES[variant].byCode;
  let i = at + buf[at];
  for (;;) {
    if (i >= n) return fail('format-error', `${layout.type} optional part is not terminated`, cic, code);
    const pc = buf[i];
    if (pc === 0) break;
    if (i + 2 > n) return fail('format-error', `${layout.type} optional parameter 0x${pc.toString(16)} has no length`, cic, code);
    const start = i + 2;
    const end = start + buf[i + 1];
    if (end > n) return fail('format-error', `${layout.type} optional parameter 0x${pc.toString(16)} runs past the end`, cic, code);
    const e = table[pc];
    const v = e !== undefined ? e.decode(buf, start, end, variant) : undefined;
    if (v !== undefined) optional.push({ name: e!.name, value: v } as OptionalParam);
    else if (e) optional.push({ name: 'unknown', code: pc, raw: Buffer.from(buf.subarray(start, end)), malformed: true });
    else optional.push({ name: 'unknown', code: pc, raw: Buffer.from(buf.subarray(start, end)) });
    i = end;
  }
  return m as unknown as IsupMessage;
}

/*
 * Compiled codecs: per message type, straight-line source generated once at module load from the
 * same tables (Layout, OPTIONAL_TABLES), so every field access and codec call has its own call
 * site, which V8 keeps monomorphic and inlines; the table interpreter above shares one site per
 * step across all types and parameters. Generated text holds only identifiers and numbers taken
 * from those tables (checked against IDENT), never message content. A compiled codec returns
 * undefined on anything it does not fully accept; the interpreter then produces the result or
 * the error, so both paths give the same answers (test/ss7/isup/compiled.test.ts checks it).
 */
type CompiledEncode = (msg: IsupMessage) => Buffer | undefined;
type CompiledDecode = (buf: Buffer, n: number) => IsupMessage | undefined;
interface EncodeEntry {
  type: string;
  encode: CompiledEncode;
}
interface Compiled {
  /** Plain object keyed by type; check `entry.type` after a lookup (as LayoutTable.byType). */
  encode: Record<string, EncodeEntry | undefined>;
  decode: (CompiledDecode | undefined)[];
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function ident(s: string): string {
  if (!IDENT.test(s)) throw new Error(`ISUP codec compiler: "${s}" is not an identifier`);
  return s;
}

/** Runs generated source with the named values in scope and returns what it returns. */
function instantiate<T>(names: string[], values: unknown[], body: string): T {
  return new Function(...names, `'use strict';\n${body}`)(...values) as T;
}

function compileOptional(variant: Variant): { encode: (w: WireWriter, o: OptionalParam[]) => boolean; decode: unknown } {
  const entries = OPTIONAL_TABLES[variant].byCode.filter((e) => e !== undefined);
  const enc: string[] = [];
  const dec: string[] = [];
  entries.forEach((e, i) => {
    const name = JSON.stringify(ident(e.name));
    enc.push(`case ${name}: w.u8(${e.code}); at = w.length; w.u8(0); E[${i}](w, p.value, V); break;`);
    dec.push(`case ${e.code}: v = D[${i}](buf, s, e, V); if (v !== undefined) return { name: ${name}, value: v }; break;`);
  });
  const encode = instantiate<(w: WireWriter, o: OptionalParam[]) => boolean>(
    ['E', 'V'],
    [entries.map((e) => e.encode), variant],
    `return function encodeOptional(w, o) {
      for (let k = 0; k < o.length; k++) {
        const p = o[k];
        let at;
        switch (p.name) {
          ${enc.join('\n          ')}
          case 'unknown': {
            const r = p.raw;
            if (r.length > 255) return false;
            w.u8(p.code); w.u8(r.length); w.bytes(r);
            continue;
          }
          default: return false;
        }
        const len = w.length - at - 1;
        if (len > 255) return false;
        w.patchU8(at, len);
      }
      return true;
    };`,
  );
  const decode = instantiate<unknown>(
    ['D', 'V', 'Buf'],
    [entries.map((e) => e.decode), variant, Buffer],
    `return function decodeOptional(pc, buf, s, e) {
      let v;
      switch (pc) {
        ${dec.join('\n        ')}
        default: return { name: 'unknown', code: pc, raw: Buf.from(buf.subarray(s, e)) };
      }
      return { name: 'unknown', code: pc, raw: Buf.from(buf.subarray(s, e)), malformed: true };
    };`,
  );
  return { encode, decode };
}

function compileEncode(layout: Layout, variant: Variant, opt: unknown): CompiledEncode {
  const nVar = layout.variable.length;
  const src: string[] = [`const w = W.restart(${TYPICAL_MAX});`, `w.u16le(m.cic & ${cicMask(variant)});`, `w.u8(${layout.code});`, 'let v, at, len;'];
  layout.fixed.forEach((d, i) => src.push(`v = m.${ident(d.field)}; if (v === undefined) return undefined; F[${i}](w, v, V);`));
  if (nVar > 0 || layout.optional) {
    src.push('const pb = w.length;');
    for (let i = 0; i < nVar + (layout.optional ? 1 : 0); i++) src.push('w.u8(0);');
  }
  layout.variable.forEach((d, i) => {
    src.push(
      `v = m.${ident(d.field)}; if (v === undefined) return undefined;`,
      `at = w.length; if (at - (pb + ${i}) > 255) return undefined; w.patchU8(pb + ${i}, at - (pb + ${i}));`,
      `w.u8(0); G[${i}](w, v, V); len = w.length - at - 1; if (len > 255) return undefined; w.patchU8(at, len);`,
    );
  });
  src.push('const o = m.optional;', 'if (o === undefined || o.length === 0) return w.view();');
  if (layout.optional) {
    src.push(
      `at = w.length - (pb + ${nVar}); if (at > 255) return undefined; w.patchU8(pb + ${nVar}, at);`,
      'if (!OPT(w, o)) return undefined;',
      'w.u8(0);',
      'return w.view();',
    );
  } else {
    src.push('return undefined;');
  }
  return instantiate<CompiledEncode>(
    ['W', 'V', 'F', 'G', 'OPT'],
    [slab, variant, layout.fixed.map((d) => d.encode), layout.variable.map((d) => d.encode), opt],
    `return function encode${ident(layout.type)}(m) {\n${src.join('\n')}\n};`,
  );
}

function compileDecode(layout: Layout, variant: Variant, opt: unknown): CompiledDecode {
  const nVar = layout.variable.length;
  const fixedLen = layout.fixed.reduce((a, d) => a + d.fixed, 0);
  const src: string[] = [`const cic = (buf[0] | (buf[1] << 8)) & ${cicMask(variant)};`];
  const props: string[] = [`type: ${JSON.stringify(ident(layout.type))}`, 'cic'];
  if (fixedLen > 0) src.push(`if (n < ${3 + fixedLen}) return undefined;`);
  let pos = 3;
  layout.fixed.forEach((d, i) => {
    src.push(`const f${i} = F[${i}](buf, ${pos}, ${pos + d.fixed}, V); if (f${i} === undefined) return undefined;`);
    props.push(`${ident(d.field)}: f${i}`);
    pos += d.fixed;
  });
  if (nVar > 0) src.push('let p, s, e;');
  layout.variable.forEach((d, i) => {
    const at = pos + i;
    src.push(
      `if (${at} >= n) return undefined;`,
      `p = buf[${at}]; s = ${at} + p; if (p === 0 || s >= n) return undefined;`,
      `e = s + 1 + buf[s]; if (e > n) return undefined;`,
      `const g${i} = G[${i}](buf, s + 1, e, V); if (g${i} === undefined) return undefined;`,
    );
    props.push(`${ident(d.field)}: g${i}`);
  });
  if (layout.optional) {
    const at = pos + nVar;
    src.push(
      'const optional = [];',
      `if (${at} < n && buf[${at}] !== 0) {`,
      `  let i = ${at} + buf[${at}];`,
      '  for (;;) {',
      '    if (i >= n) return undefined;',
      '    const pc = buf[i];',
      '    if (pc === 0) break;',
      '    if (i + 2 > n) return undefined;',
      '    const end = i + 2 + buf[i + 1];',
      '    if (end > n) return undefined;',
      '    optional.push(OPT(pc, buf, i + 2, end));',
      '    i = end;',
      '  }',
      '}',
    );
    props.push('optional');
  }
  src.push(`return { ${props.join(', ')} };`);
  return instantiate<CompiledDecode>(
    ['V', 'F', 'G', 'OPT'],
    [variant, layout.fixed.map((d) => d.decode), layout.variable.map((d) => d.decode), opt],
    `return function decode${ident(layout.type)}(buf, n) {\n${src.join('\n')}\n};`,
  );
}

function compile(variant: Variant): Compiled {
  const opt = compileOptional(variant);
  const out: Compiled = { encode: {}, decode: new Array(256).fill(undefined) };
  for (const layout of LAYOUTS[variant].byCode) {
    if (layout === undefined || layout.rawBody) continue;
    out.encode[layout.type] = { type: layout.type, encode: compileEncode(layout, variant, opt.encode) };
    out.decode[layout.code] = compileDecode(layout, variant, opt.decode);
  }
  return out;
}

const ITU = compile('itu');
const ANSI = compile('ansi');

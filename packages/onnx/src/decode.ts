import { FormatError } from '@stridenet/core';

/**
 * ONNX ModelProto reader for the fields import needs (field numbers of the ONNX IR specification).
 * Every length is checked against the bytes left, so a truncated or hostile file is a FormatError
 * and never a large allocation; unknown fields are skipped by wire type.
 */
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  ints: number[];
  floats: number[];
}

export interface DecodedNode {
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, OnnxAttribute>;
}

export interface DecodedTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** FLOAT and DOUBLE as float32; INT64 / INT32 as numbers. */
  values: Float32Array | number[];
}

export interface DecodedValue {
  name: string;
  elemType: number;
  /** A number per fixed dimension, a string per symbolic one. */
  shape: (number | string)[] | undefined;
}

export interface DecodedModel {
  opset: number;
  nodes: DecodedNode[];
  initializers: Map<string, DecodedTensor>;
  inputs: DecodedValue[];
  outputs: DecodedValue[];
  /** metadata_props as key-value pairs (a later duplicate key wins). */
  metadata: Record<string, string>;
}

/** At most this many values in one initializer (1 GiB of float32), before any allocation. */
const MAX_TENSOR_VALUES = 2 ** 28;

class Reader {
  pos: number;
  constructor(readonly bytes: Uint8Array, readonly file: string, readonly start = 0, readonly end = bytes.length) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new FormatError(this.file, `not a valid ONNX model: ${what} at byte ${this.pos}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.bytes[this.pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, v));
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** A length-delimited field's bytes as a sub-reader. */
  sub(): Reader {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) this.fail(`length ${len} runs past the end of its message`);
    const r = new Reader(this.bytes, this.file, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  string(): string {
    const r = this.sub();
    return new TextDecoder().decode(this.bytes.subarray(r.start, r.end));
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.sub();
    else if (wire === 5) this.pos += 4;
    else this.fail(`unsupported wire type ${wire}`);
    if (this.pos > this.end) this.fail('truncated field');
  }

  /** Calls `field` for every field of this message. */
  each(field: (num: number, wire: number) => boolean): void {
    while (!this.done) {
      const tag = this.varint();
      const num = tag >>> 3;
      const wire = tag & 7;
      if (!field(num, wire)) this.skip(wire);
    }
  }

  /** Repeated varints, packed (wire 2) or one at a time. */
  ints(wire: number, into: number[]): void {
    if (wire !== 2) return void into.push(this.varint());
    const r = this.sub();
    while (!r.done) into.push(r.varint());
  }

  floats(wire: number, into: number[]): void {
    if (wire !== 2) return void into.push(this.fixed32());
    const r = this.sub();
    while (!r.done) into.push(r.fixed32());
  }
}

function attribute(r: Reader): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0, ints: [], floats: [] };
  r.each((num, wire) => {
    if (num === 1) a.name = r.string();
    else if (num === 2 && wire === 5) a.f = r.fixed32();
    else if (num === 3 && wire === 0) a.i = r.varint();
    else if (num === 4 && wire === 2) a.s = r.string();
    else if (num === 7) r.floats(wire, a.floats);
    else if (num === 8) r.ints(wire, a.ints);
    else if (num === 20 && wire === 0) a.type = r.varint();
    else return false;
    return true;
  });
  return a;
}

function node(r: Reader): DecodedNode {
  const n: DecodedNode = { name: '', op: '', domain: '', inputs: [], outputs: [], attrs: new Map() };
  r.each((num, wire) => {
    if (wire !== 2) return false;
    if (num === 1) n.inputs.push(r.string());
    else if (num === 2) n.outputs.push(r.string());
    else if (num === 3) n.name = r.string();
    else if (num === 4) n.op = r.string();
    else if (num === 5) {
      const a = attribute(r.sub());
      n.attrs.set(a.name, a);
    } else if (num === 7) n.domain = r.string();
    else return false;
    return true;
  });
  return n;
}

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const DOUBLE = 11;
const WIDTH: Record<number, number> = { [FLOAT]: 4, [INT32]: 4, [INT64]: 8, [DOUBLE]: 8 };

function tensorProto(r: Reader, file: string): DecodedTensor {
  const t = { name: '', dims: [] as number[], dataType: 0 };
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  r.each((num, wire) => {
    if (num === 1) r.ints(wire, t.dims);
    else if (num === 2 && wire === 0) t.dataType = r.varint();
    else if (num === 4) r.floats(wire, floats);
    else if (num === 5 || num === 7) r.ints(wire, ints);
    else if (num === 8 && wire === 2) t.name = r.string();
    else if (num === 9 && wire === 2) {
      const s = r.sub();
      raw = r.bytes.subarray(s.start, s.end);
    } else if (num === 14) throw new FormatError(file, `initializer '${t.name}' keeps its data in an external file (data_location EXTERNAL), which import does not read`);
    else return false;
    return true;
  });
  if (!t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new FormatError(file, `initializer '${t.name}' has dims [${t.dims.join(',')}] but expected non-negative integers`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n > MAX_TENSOR_VALUES) throw new FormatError(file, `initializer '${t.name}' has ${n} values, more than the ${MAX_TENSOR_VALUES} limit`);
  const width = WIDTH[t.dataType];
  if (width === undefined) throw new FormatError(file, `initializer '${t.name}' has data_type ${t.dataType} but import reads FLOAT (1), DOUBLE (11), INT32 (6) and INT64 (7)`);
  if (raw) {
    if (raw.length !== n * width) throw new FormatError(file, `initializer '${t.name}' has ${raw.length} bytes of raw_data but dims [${t.dims.join(',')}] need ${n * width}`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (t.dataType === FLOAT || t.dataType === DOUBLE) {
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = t.dataType === FLOAT ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
      return { ...t, values };
    }
    const values: number[] = [];
    for (let i = 0; i < n; i++) values.push(t.dataType === INT32 ? view.getInt32(i * 4, true) : Number(view.getBigInt64(i * 8, true)));
    return { ...t, values };
  }
  const list = t.dataType === FLOAT ? floats : ints;
  if (list.length !== n) throw new FormatError(file, `initializer '${t.name}' has ${list.length} values but dims [${t.dims.join(',')}] need ${n}`);
  return { ...t, values: t.dataType === FLOAT ? Float32Array.from(list) : list };
}

function valueInfo(r: Reader): DecodedValue {
  const v: DecodedValue = { name: '', elemType: 0, shape: undefined };
  r.each((num, wire) => {
    if (num === 1 && wire === 2) v.name = r.string();
    else if (num === 2 && wire === 2) {
      const type = r.sub();
      type.each((tn, tw) => {
        if (tn !== 1 || tw !== 2) return false;
        const tensorType = type.sub();
        tensorType.each((fn, fw) => {
          if (fn === 1 && fw === 0) v.elemType = tensorType.varint();
          else if (fn === 2 && fw === 2) v.shape = shape(tensorType.sub());
          else return false;
          return true;
        });
        return true;
      });
    } else return false;
    return true;
  });
  return v;
}

function shape(r: Reader): (number | string)[] {
  const dims: (number | string)[] = [];
  r.each((num, wire) => {
    if (num !== 1 || wire !== 2) return false;
    const dim = r.sub();
    let d: number | string = '?';
    dim.each((dn, dw) => {
      if (dn === 1 && dw === 0) d = dim.varint();
      else if (dn === 2 && dw === 2) d = dim.string();
      else return false;
      return true;
    });
    dims.push(d);
    return true;
  });
  return dims;
}

/** Parses an ONNX ModelProto: opset of the default domain, the main graph's nodes, initializers, inputs, outputs. */
export function decodeModel(bytes: Uint8Array, file = 'ONNX model'): DecodedModel {
  if (!(bytes instanceof Uint8Array)) throw new FormatError(file, `expected a Uint8Array of file bytes, got ${Object.prototype.toString.call(bytes)}`);
  const m: DecodedModel = { opset: 0, nodes: [], initializers: new Map(), inputs: [], outputs: [], metadata: {} };
  let graphs = 0;
  const r = new Reader(bytes, file);
  r.each((num, wire) => {
    if (num === 7 && wire === 2) {
      graphs++;
      const g = r.sub();
      g.each((gn, gw) => {
        if (gw !== 2) return false;
        if (gn === 1) m.nodes.push(node(g.sub()));
        else if (gn === 5) {
          const t = tensorProto(g.sub(), file);
          m.initializers.set(t.name, t);
        } else if (gn === 11) m.inputs.push(valueInfo(g.sub()));
        else if (gn === 12) m.outputs.push(valueInfo(g.sub()));
        else return false;
        return true;
      });
    } else if (num === 8 && wire === 2) {
      const o = r.sub();
      let domain = '';
      let version = 0;
      o.each((on, ow) => {
        if (on === 1 && ow === 2) domain = o.string();
        else if (on === 2 && ow === 0) version = o.varint();
        else return false;
        return true;
      });
      if (domain === '' || domain === 'ai.onnx') m.opset = version;
    } else if (num === 14 && wire === 2) {
      const e = r.sub();
      let key = '';
      let value = '';
      e.each((en, ew) => {
        if (ew !== 2 || (en !== 1 && en !== 2)) return false;
        if (en === 1) key = e.string();
        else value = e.string();
        return true;
      });
      Object.defineProperty(m.metadata, key, { value, enumerable: true, writable: true, configurable: true });
    } else return false;
    return true;
  });
  if (graphs !== 1) throw new FormatError(file, `not a valid ONNX model: ${graphs} graphs but a ModelProto has exactly one`);
  if (m.opset === 0) throw new FormatError(file, 'not a valid ONNX model: no opset_import for the default (ai.onnx) domain');
  return m;
}

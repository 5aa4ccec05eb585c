import { describe, expect, it } from 'vitest';
import { encodeModel, irVersionFor } from './proto.js';
import { decodeModel } from './decode.js';

const ascii = (s: string) => [...new TextEncoder().encode(s)];

describe('encodeModel: ModelProto wire format (onnx.proto field numbers)', () => {
  it('writes ir_version (1), producer_name (2), graph (7) and opset_import (8) with the right wire types', () => {
    const bytes = encodeModel({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], initializers: [], inputs: [{ name: 'x', shape: ['batch', 3] }], outputs: [{ name: 'y', shape: ['batch', 3] }] }, { opset: 17, producer: 'p' });
    // field 1 varint = 8; field 2 length-delimited "p"; field 7 length-delimited graph.
    expect([...bytes.subarray(0, 5)]).toEqual([0x08, 8, 0x12, 1, ...ascii('p')]);
    expect(bytes[5]).toBe(0x3a);
    // opset_import { domain (1) "", version (2) 17 } closes the model.
    expect([...bytes.subarray(bytes.length - 6)]).toEqual([0x42, 4, 0x0a, 0, 0x10, 17]);
    // NodeProto: input (1) "x", output (2) "y", name (3), op_type (4) "Relu".
    const text = [...bytes];
    const at = (seq: number[]) => text.findIndex((_, i) => seq.every((b, j) => text[i + j] === b));
    expect(at([0x0a, 1, ...ascii('x'), 0x12, 1, ...ascii('y'), 0x1a, 6, ...ascii('Relu_0'), 0x22, 4, ...ascii('Relu')])).toBeGreaterThan(0);
    // TensorShapeProto.Dimension: dim_param (2) "batch", dim_value (1) 3.
    expect(at([0x0a, 7, 0x12, 5, ...ascii('batch'), 0x0a, 2, 0x08, 3])).toBeGreaterThan(0);
  });

  it('writes multi-byte varints, INT64 and FLOAT raw_data little-endian, and the IR version of each opset', () => {
    const bytes = encodeModel({ nodes: [], initializers: [{ name: 's', shape: [300], data: new BigInt64Array(300).fill(-1n) }], inputs: [], outputs: [] });
    // TensorProto: dims (1) 300 = varint ac 02, data_type (2) INT64 = 7, name (8) "s", raw_data (9) 2400 bytes.
    const text = [...bytes];
    const at = (seq: number[]) => text.findIndex((_, i) => seq.every((b, j) => text[i + j] === b));
    expect(at([0x08, 0xac, 0x02, 0x10, 7, 0x42, 1, ...ascii('s'), 0x4a, 0xe0, 0x12, 0xff])).toBeGreaterThan(0);
    expect([11, 13, 17, 19, 21].map(irVersionFor)).toEqual([6, 7, 8, 9, 10]);
  });

  it('writes metadata_props (14) as StringStringEntryProto { key (1), value (2) } and decodeModel reads them back', () => {
    const g = { nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], initializers: [], inputs: [{ name: 'x', shape: ['batch', 3] }], outputs: [{ name: 'y', shape: ['batch', 3] }] };
    const bytes = encodeModel(g, { metadata: { k: 'v', run: '{"a":1}' } });
    const text = [...bytes];
    const at = (seq: number[]) => text.findIndex((_, i) => seq.every((b, j) => text[i + j] === b));
    expect(at([0x72, 6, 0x0a, 1, ...ascii('k'), 0x12, 1, ...ascii('v')])).toBeGreaterThan(0);
    expect(decodeModel(bytes).metadata).toEqual({ k: 'v', run: '{"a":1}' });
    expect(decodeModel(encodeModel(g)).metadata).toEqual({});
    // '__proto__' is stored as an own key, never as the object's prototype.
    const hostile = decodeModel(encodeModel(g, { metadata: JSON.parse('{"__proto__":"x"}') as Record<string, string> })).metadata;
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
    expect(Object.keys(hostile)).toEqual(['__proto__']);
  });
});

import { describe, expect, it } from 'vitest';
import { FormatError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, entryToFloat32 } from './safetensors.js';

/** Builds a file from a raw header object and data bytes (for malformed cases). */
function raw(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips F32/F64/I32/U8 with metadata, 8-byte aligned data', () => {
    const a = Float32Array.of(1.5, -2, 3.25, Math.PI);
    const bytes = encodeSafetensors(
      [
        { name: 'a', shape: [2, 2], data: a },
        { name: 'b.c', shape: [3], data: Float64Array.of(0.1, 0.2, 0.3) },
        { name: 'i', shape: [2], data: Int32Array.of(-7, 9) },
        { name: 'u', shape: [1, 3], data: Uint8Array.of(1, 2, 255) },
        { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
      ],
      { note: 'hi' },
    );
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const f = decodeSafetensors(bytes, 'w.safetensors');
    expect(f.metadata).toEqual({ note: 'hi' });
    expect([...f.tensors.keys()]).toEqual(['a', 'b.c', 'i', 'u', 'empty']);
    expect(f.tensors.get('a')).toMatchObject({ dtype: 'F32', shape: [2, 2] });
    expect(Array.from(entryToFloat32(f.tensors.get('a')!))).toEqual(Array.from(a));
    expect(Array.from(entryToFloat32(f.tensors.get('b.c')!))).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    expect(f.tensors.get('i')!.dtype).toBe('I32');
    expect(Array.from(f.tensors.get('u')!.bytes)).toEqual([1, 2, 255]);
    expect(() => entryToFloat32(f.tensors.get('i')!, 'w.safetensors')).toThrow(/w\.safetensors: tensor 'i' is I32 but expected a float dtype/);
  });

  it('reads F16 and BF16 written by other tools', () => {
    // 1.0, -2.0, 0.5 in half; 1.0, -3.0 in bfloat16 (hand-encoded bit patterns).
    const half = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38]);
    const bf = Uint8Array.from([0x80, 0x3f, 0x40, 0xc0]);
    const data = new Uint8Array(10);
    data.set(half, 0);
    data.set(bf, 6);
    const f = decodeSafetensors(raw({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] } }, data));
    expect(Array.from(entryToFloat32(f.tensors.get('h')!))).toEqual([1, -2, 0.5]);
    expect(Array.from(entryToFloat32(f.tensors.get('b')!))).toEqual([1, -3]);
  });

  it('writes F16 and BF16 bit patterns from a Uint16Array, and plain Uint16Array as U16', () => {
    // 1.0, -2.0, 0.5 in half; 1.0, -3.0 in bfloat16.
    const bytes = encodeSafetensors([
      { name: 'h', shape: [3], data: Uint16Array.of(0x3c00, 0xc000, 0x3800), dtype: 'F16' },
      { name: 'b', shape: [2], data: Uint16Array.of(0x3f80, 0xc040), dtype: 'BF16' },
      { name: 'u', shape: [1], data: Uint16Array.of(513) },
    ]);
    const f = decodeSafetensors(bytes);
    expect(f.tensors.get('h')).toMatchObject({ dtype: 'F16', shape: [3] });
    expect(Array.from(entryToFloat32(f.tensors.get('h')!))).toEqual([1, -2, 0.5]);
    expect(Array.from(entryToFloat32(f.tensors.get('b')!))).toEqual([1, -3]);
    expect(f.tensors.get('u')!.dtype).toBe('U16');
    expect(Array.from(f.tensors.get('u')!.bytes)).toEqual([1, 2]);
    expect(() => encodeSafetensors([{ name: 'x', shape: [1], data: Float32Array.of(1), dtype: 'F16' }])).toThrow(
      /tensor 'x' has dtype "F16" but expected 'F16' or 'BF16' with Uint16Array data/,
    );
  });

  const good = { t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than the length prefix', Uint8Array.of(1, 2, 3), /truncated: 3 bytes/],
    ['header length past the end', raw(good, new Uint8Array(8), 500), /truncated: header length says 500 bytes/],
    ['absurd header length', raw(good, new Uint8Array(8), 2 ** 40), /header length 1099511627776 is larger than/],
    ['wrong magic (not JSON)', raw('PK\u0003\u0004 zip file.....', new Uint8Array(0)), /header does not start with '\{'/],
    ['broken JSON', raw('{"t": {"dtype": "F32",', new Uint8Array(0)), /header is not valid UTF-8 JSON/],
    ['JSON array', raw('[1,2]'), /does not start with/],
    ['data truncated', raw(good, new Uint8Array(4)), /truncated or out of range: tensor 't' ends at data byte 8 but the data section has 4 bytes/],
    ['unknown dtype', raw({ t: { dtype: 'F8_E9', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)), /tensor 't' has unknown dtype "F8_E9"/],
    ['size not matching shape', raw({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /spans 8 bytes but F32 \[3\] needs 12/],
    ['end before begin', raw({ t: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, new Uint8Array(8)), /end before begin/],
    [
      'overlapping offsets',
      raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)),
      /tensor 'b' data \[4,12\] overlaps the previous tensor/,
    ],
    ['hole between tensors', raw({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /data bytes \[0,4\) before tensor 'a' belong to no tensor/],
    ['trailing bytes', raw(good, new Uint8Array(12)), /data section has 12 bytes but tensors cover only 8/],
    ['bad shape', raw({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /has shape \[-1\]/],
    ['non-string metadata', raw({ __metadata__: { a: 1 } }), /__metadata__ 'a' is number/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}`, () => {
      let err: unknown;
      try {
        decodeSafetensors(bytes, 'model.safetensors');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).file).toBe('model.safetensors');
      expect((err as Error).message).toMatch(/^model\.safetensors: /);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('refuses to write inconsistent input', () => {
    expect(() => encodeSafetensors([{ name: 'a', shape: [3], data: new Float32Array(2) }])).toThrow(/has 2 values but shape \[3\]/);
    expect(() => encodeSafetensors([{ name: '__metadata__', shape: [1], data: new Float32Array(1) }])).toThrow(/reserved/);
  });
  it('refuses a header that names a tensor or a metadata key twice (JSON.parse would keep the last)', () => {
    const data = new Uint8Array(8);
    const twice = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "w" :{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(() => decodeSafetensors(raw(twice, data), 'dup.safetensors')).toThrow("dup.safetensors: header names tensor 'w' twice; every key must be unique");
    const meta = '{"__metadata__":{"a":"1","b":"{\\"a\\":2}","a":"3"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(() => decodeSafetensors(raw(meta, data), 'm')).toThrow("m: header names metadata key 'a' twice");
    const inner = '{"w":{"dtype":"F32","shape":[2],"shape":[2],"data_offsets":[0,8]}}';
    expect(() => decodeSafetensors(raw(inner, data), 'i')).toThrow("i: header names key 'shape' twice");
    // The same key in different objects, and key-like text inside strings, are fine.
    const ok = '{"__metadata__":{"w":"\\"w\\": 1"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(decodeSafetensors(raw(ok, data), 'ok').metadata).toEqual({ w: '"w": 1' });
  });
});

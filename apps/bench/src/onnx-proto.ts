/**
 * A minimal ONNX ModelProto writer (protobuf wire format by hand): enough for the Conv, pooling,
 * BatchNormalization, Gemm, MatMul, Relu, Add and Flatten graphs the harness builds.
 * Field numbers follow onnx/onnx.proto (IR version 8, opset 13).
 */
class Writer {
  private chunks: number[] = [];
  private parts: Uint8Array[] = [];

  private flush(): void {
    if (this.chunks.length) this.parts.push(Uint8Array.from(this.chunks)), (this.chunks = []);
  }

  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.chunks.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.chunks.push(Number(n));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.chunks.push(...b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.flush();
    this.parts.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    this.flush();
    const total = this.parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of this.parts) out.set(p, o), (o += p.length);
    return out;
  }
}

export type AttrValue = number | number[] | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: { name: string; shape: readonly number[]; data: Float32Array }[];
  inputs: { name: string; shape: readonly number[] }[];
  outputs: { name: string; shape: readonly number[] }[];
}

const FLOAT = 1;

function valueInfo(w: Writer, v: { name: string; shape: readonly number[] }): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

function attribute(w: Writer, name: string, v: AttrValue): void {
  w.string(1, name);
  if (typeof v === 'number') w.int(3, v).int(20, 2);
  else if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    w.int(20, 7);
  } else w.float(2, v.float).int(20, 1);
}

export function encodeModel(g: OnnxGraph, producer = 'stridenet-bench'): Uint8Array {
  const m = new Writer();
  m.int(1, 8); // ir_version
  m.string(2, producer);
  m.message(7, (graph) => {
    g.nodes.forEach((n, i) =>
      graph.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const x of n.outputs) node.string(2, x);
        node.string(3, `${n.op}_${i}`);
        node.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) node.message(5, (a) => attribute(a, k, v));
      }),
    );
    graph.string(2, 'main');
    for (const t of g.initializers) {
      graph.message(5, (tensor) => {
        for (const d of t.shape) tensor.int(1, d);
        tensor.int(2, FLOAT);
        tensor.string(8, t.name);
        tensor.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      });
    }
    for (const i of g.inputs) graph.message(11, (v) => valueInfo(v, i));
    for (const o of g.outputs) graph.message(12, (v) => valueInfo(v, o));
  });
  m.message(8, (opset) => opset.string(1, '').int(2, 13));
  return m.finish();
}

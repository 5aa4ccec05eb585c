/**
 * ONNX ModelProto writer: the protobuf wire format by hand (varints, length-delimited messages,
 * fixed32 floats), written by this team from the field numbers of the ONNX IR specification
 * (onnx.proto: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
 * TypeProto.Tensor, TensorShapeProto, OperatorSetIdProto). No schema text is bundled.
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

/** An attribute: an int, a list of ints, or a float (`{ float: x }`). */
export type AttrValue = number | number[] | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
  /** Node name (default `${op}_${index}`). */
  name?: string;
}

/** A dimension: a size, or a symbolic name (dim_param) such as 'batch'. */
export type OnnxDim = number | string;

export interface OnnxInitializer {
  name: string;
  shape: readonly number[];
  /** Float32Array is written as FLOAT, BigInt64Array as INT64. */
  data: Float32Array | BigInt64Array;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: { name: string; shape: readonly OnnxDim[] }[];
  outputs: { name: string; shape: readonly OnnxDim[] }[];
  /** Graph name (default 'main'). */
  name?: string;
}

export interface EncodeOptions {
  /** Default opset of the ai.onnx domain (default 13). */
  opset?: number;
  /** producer_name (default 'stridenet'). */
  producer?: string;
  /** metadata_props: string key-value pairs stored with the model (ONNX Runtime reads them as custom metadata). */
  metadata?: Readonly<Record<string, string>>;
}

// TensorProto.DataType
const FLOAT = 1;
const INT64 = 7;
// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

/** The IR version that introduced each opset range (ONNX versioning table). */
export function irVersionFor(opset: number): number {
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function valueInfo(w: Writer, v: { name: string; shape: readonly OnnxDim[] }): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function attribute(w: Writer, name: string, v: AttrValue): void {
  w.string(1, name);
  if (typeof v === 'number') w.int(3, v).int(20, ATTR_INT);
  else if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    w.int(20, ATTR_INTS);
  } else w.float(2, v.float).int(20, ATTR_FLOAT);
}

function initializer(w: Writer, t: OnnxInitializer): void {
  for (const d of t.shape) w.int(1, d);
  w.int(2, t.data instanceof BigInt64Array ? INT64 : FLOAT);
  w.string(8, t.name);
  const le = new Uint8Array(t.data.byteLength);
  const view = new DataView(le.buffer);
  // raw_data is little-endian whatever the host.
  if (t.data instanceof BigInt64Array) t.data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  else t.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  w.bytes(9, le);
}

/** Serialises a graph as an ONNX ModelProto (IR version matching the opset). */
export function encodeModel(g: OnnxGraph, options: EncodeOptions = {}): Uint8Array {
  const opset = options.opset ?? 13;
  const m = new Writer();
  m.int(1, irVersionFor(opset)); // ir_version
  m.string(2, options.producer ?? 'stridenet'); // producer_name
  m.message(7, (graph) => {
    g.nodes.forEach((n, i) =>
      graph.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const x of n.outputs) node.string(2, x);
        node.string(3, n.name ?? `${n.op}_${i}`);
        node.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) node.message(5, (a) => attribute(a, k, v));
      }),
    );
    graph.string(2, g.name ?? 'main');
    for (const t of g.initializers) graph.message(5, (w) => initializer(w, t));
    for (const i of g.inputs) graph.message(11, (v) => valueInfo(v, i));
    for (const o of g.outputs) graph.message(12, (v) => valueInfo(v, o));
  });
  m.message(8, (w) => w.string(1, '').int(2, opset)); // opset_import: default domain
  for (const [k, v] of Object.entries(options.metadata ?? {})) m.message(14, (e) => e.string(1, k).string(2, v)); // metadata_props
  return m.finish();
}

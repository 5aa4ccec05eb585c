/** Messages between the ONNX Runtime runner (onnx.ts) and its child (onnx-child.ts). */
export type OrtRequest =
  | { cmd: 'hello' }
  | {
      cmd: 'prepare';
      /** The encoded ONNX model (weights as initializers). */
      model: Uint8Array;
      feeds: { name: string; data: Float32Array; shape: number[] }[];
      outName: string;
      outShape: number[];
      threads: number;
    }
  /** Runs `n` iterations and returns their seconds; `settle` waits (untimed) for idle pool workers before and after. */
  | { cmd: 'run'; handle: number; n: number; settle: boolean }
  | { cmd: 'output'; handle: number }
  | { cmd: 'rss' }
  | { cmd: 'counts' }
  | { cmd: 'dispose'; handle: number }
  | { cmd: 'exit' };

/** A reply: the request's fields (see onnx-child.ts), or `error`. */
export interface OrtReply {
  error?: string;
  version?: string;
  /** The child's STRIDENET_CPUID_MASK (cpuid-mask.ts), null without the shim. */
  mask?: string | null;
  /** CPUID instructions the shim emulated so far, and SIGSEGVs it passed on (with the shim). */
  emulated?: number;
  passed?: number;
  /** CPUIDs emulated while a timed batch ran (with the shim). */
  emulatedInBatch?: number;
  handle?: number;
  seconds?: number;
  data?: Float32Array;
  rss?: number;
}

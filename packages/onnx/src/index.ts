export { exportOnnx, onnxGraph, type ExportOnnxOptions } from './export.js';
export { encodeModel, irVersionFor, type AttrValue, type EncodeOptions, type OnnxDim, type OnnxGraph, type OnnxInitializer, type OnnxNode } from './proto.js';

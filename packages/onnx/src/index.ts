export { exportOnnx, onnxGraph, type ExportOnnxOptions } from './export.js';
export { encodeModel, irVersionFor, type AttrValue, type EncodeOptions, type OnnxDim, type OnnxGraph, type OnnxInitializer, type OnnxNode } from './proto.js';
export { importOnnx, IMPORTED_OPS, type ImportOnnxOptions } from './import.js';
export { decodeModel, type DecodedModel, type DecodedNode, type DecodedTensor, type DecodedValue, type OnnxAttribute } from './decode.js';

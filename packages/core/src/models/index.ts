export {
  LayerModel,
  Sequential,
  GraphBuilder,
  GraphModel,
  MODEL_TYPES,
  graph,
  modelFromJSON,
  sequential,
  type BuildOptions,
  type GraphNode,
  type SequentialOptions,
} from './model.js';
export { poolToStridedConv, type PoolToStridedConvOptions } from './transform.js';
export * from './zoo/index.js';

import { ArgumentError } from '../errors.js';
import type { Rng } from '../random/philox.js';

/**
 * Weight initialisers. 'pytorch' is what torch.nn.Conv*d / Linear do by default:
 * kaiming_uniform_(a = sqrt(5)) for weights and U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for biases, which
 * reduce to the same bound 1/sqrt(fanIn). 'heNormalFanOut' is torchvision's ResNet conv init
 * (kaiming_normal_, mode 'fan_out', relu gain).
 */
export type InitializerName =
  | 'pytorch'
  | 'heUniform'
  | 'heNormal'
  | 'heNormalFanOut'
  | 'glorotUniform'
  | 'glorotNormal'
  | 'zeros'
  | 'ones';

export const INITIALIZERS: readonly InitializerName[] = Object.freeze([
  'pytorch',
  'heUniform',
  'heNormal',
  'heNormalFanOut',
  'glorotUniform',
  'glorotNormal',
  'zeros',
  'ones',
]);

export function checkInitializer(op: string, argument: string, value: unknown): InitializerName {
  if (typeof value !== 'string' || !(INITIALIZERS as readonly string[]).includes(value)) {
    throw new ArgumentError(op, argument, value, `one of ${INITIALIZERS.map((n) => `'${n}'`).join(', ')}`);
  }
  return value as InitializerName;
}

/** Draws `size` initial values; fanIn / fanOut follow torch.nn.init._calculate_fan_in_and_fan_out. */
export function initialValues(name: InitializerName, rng: Rng, size: number, fanIn: number, fanOut: number): Float32Array {
  switch (name) {
    case 'zeros':
      return new Float32Array(size);
    case 'ones':
      return new Float32Array(size).fill(1);
    case 'pytorch': {
      const bound = 1 / Math.sqrt(fanIn);
      return rng.uniform(size, -bound, bound);
    }
    case 'heUniform': {
      const bound = Math.sqrt(6 / fanIn);
      return rng.uniform(size, -bound, bound);
    }
    case 'heNormal':
      return rng.normal(size, 0, Math.sqrt(2 / fanIn));
    case 'heNormalFanOut':
      return rng.normal(size, 0, Math.sqrt(2 / fanOut));
    case 'glorotUniform': {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      return rng.uniform(size, -bound, bound);
    }
    case 'glorotNormal':
      return rng.normal(size, 0, Math.sqrt(2 / (fanIn + fanOut)));
  }
}

import { ArgumentError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record } from '../autograd/record.js';
import type { Rng } from '../random/philox.js';
import { tensor } from './create.js';

/**
 * Inverted dropout: zeroes each value with probability `rate` and scales the rest by 1 / (1 - rate).
 * The mask comes from the core RNG, so it is the same on every backend for one seed; a backend with
 * Backend.uniform draws the noise itself from the RNG's state (the same values, no upload).
 */
export function dropout(x: Tensor, rate: number, rng: Rng): Tensor {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new ArgumentError('dropout', 'rate', rate, 'a number in [0, 1)');
  const b = x.backend;
  const noise = b.uniform && x.size > 0 ? engine.wrap(b, b.uniform(x.size, rng.skip(x.size)), x.shape) : tensor(rng.uniform(x.size), x.shape, b);
  const attrs = { rate, size: x.size };
  const [y] = engine.runKernel('Dropout', { x, noise }, attrs, [x.shape]);
  record('Dropout', [y!], [x, noise], attrs);
  noise.dispose();
  return y!;
}

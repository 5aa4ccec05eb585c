/** What `createPretrained` needs besides the weights: how inputs are prepared and what outputs mean. */
export interface PretrainedPreprocessing {
  /** Per-channel mean and standard deviation of the training images, in [0, 1] pixel units. */
  normalization: { mean: readonly number[]; std: readonly number[] };
  /** Class names in label order, one per model output. */
  classNames: readonly string[];
  /** [channels, height, width] of one input image. */
  inputShape: readonly number[];
}

/** One set of pretrained weights: its file, checksum, measured accuracy and the recipe that made it. */
export interface ManifestEntry {
  /** Zoo name (`createModel(model)` builds the architecture). */
  model: string;
  /** The training data, e.g. 'fashion-mnist'. */
  dataset: string;
  /** The safetensors file in the repository's packages/weights/weights/. */
  file: string;
  dtype: 'F16' | 'F32';
  /** Size of the safetensors file. */
  bytes: number;
  /** SHA-256 of the safetensors file (lowercase hex), checked before the weights are used. */
  sha256: string;
  parameters: number;
  /** Test accuracy of the shipped weights (fraction of `testImages`, `stridenet eval`). */
  accuracy: number;
  /** Test accuracy with the weights in float32 and rounded to float16: the dtype choice rests on these. */
  accuracyF32: number;
  accuracyF16: number;
  testImages: number;
  epochs: number;
  seed: number;
  /** The `stridenet train` command that trained them (tools/weights/train-pretrained.sh). */
  command: string;
  run: PretrainedPreprocessing;
}

export interface Manifest {
  models: ManifestEntry[];
}

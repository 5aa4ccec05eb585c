import { StridenetError } from '@stridenet/core';

/**
 * A named dataset whose files are nowhere the loader looked. The message lists every place tried
 * and how to get the data, because the usual fix is an install or a flag, not a code change.
 */
export class DatasetNotFoundError extends StridenetError {
  readonly dataset: string;
  readonly searched: readonly string[];
  constructor(dataset: string, searched: readonly string[], remedy: string) {
    super('ARGUMENT', `${dataset}: dataset files not found; looked in ${searched.map((p) => `'${p}'`).join(', ')}. ${remedy}`);
    this.dataset = dataset;
    this.searched = searched;
  }
}

/** An HTTP fetch that failed before any checksum could be checked (status, network, aborted body). */
export class DownloadError extends StridenetError {
  readonly url: string;
  readonly status: number | undefined;
  constructor(url: string, problem: string, status?: number) {
    super('ARGUMENT', `download ${url}: ${problem}`);
    this.url = url;
    this.status = status;
  }
}

#!/usr/bin/env node
import { main } from './cli.js';

main(process.argv).then((code) => {
  process.exitCode = code;
  // Backends keep worker threads (wasm, native queue): leave once the work is done.
  setTimeout(() => process.exit(code), 100).unref();
});

// `Tensor` implements `[Symbol.dispose]` so that `using t = ...` frees it. TypeScript only knows
// `Symbol.dispose` from lib `esnext.disposable` (or @types/node), so without this declaration a
// consumer on lib es2022 (a browser project, `--lib es2022,dom`) fails to compile our types. It is
// the same declaration @types/node and lib.esnext.disposable make, so it merges with either.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

export {};

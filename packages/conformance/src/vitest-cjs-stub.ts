// Stands in for vitest in the CommonJS build only: vitest refuses require(), so CJS consumers get
// the cases, reference and helpers, and runConformance explains itself instead of crashing on load.
function esmOnly(): never {
  throw new Error('runConformance needs the ESM build of @stridenet/conformance (vitest cannot be loaded with require())');
}

export const describe = esmOnly;
export const it = esmOnly;
export const beforeAll = esmOnly;
export const afterAll = esmOnly;

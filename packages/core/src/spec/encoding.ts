import { ENUMS, PLAN_ENCODINGS, type EnumName, type PlanKind } from './kernels.js';

type FieldName<F> = F extends string ? F : F extends readonly [infer N extends string, unknown] ? N : never;

/** Word offset of each field of a plan kind's encoding, plus `length` (absent for a variable-length tail). */
export type EncodingOffsets<K extends PlanKind> = { readonly [N in FieldName<(typeof PLAN_ENCODINGS)[K][number]>]: number } & {
  readonly length: number;
};

/** Offsets of a plan kind's Int32Array encoding, computed from PLAN_ENCODINGS. */
export function encodingOffsets<K extends PlanKind>(kind: K): EncodingOffsets<K> {
  const out: Record<string, number> = {};
  let at = 0;
  for (const field of PLAN_ENCODINGS[kind] as readonly (string | readonly [string, number | 'rest'])[]) {
    if (typeof field === 'string') {
      out[field] = at++;
      continue;
    }
    out[field[0]] = at;
    if (field[1] === 'rest') return Object.freeze(out) as EncodingOffsets<K>;
    at += field[1];
  }
  out.length = at;
  return Object.freeze(out) as EncodingOffsets<K>;
}

export type EnumValue<E extends EnumName> = (typeof ENUMS)[E][number];

/** Code of each value of an enum (its index in ENUMS), as native, wasm and WGSL read it. */
export function enumCodes<E extends EnumName>(name: E): Readonly<Record<EnumValue<E>, number>> {
  return Object.freeze(Object.fromEntries(ENUMS[name].map((v, i) => [v, i]))) as Record<EnumValue<E>, number>;
}

/** Static types of the kernel contract, derived from the spec data in ./kernels.ts. */
import type { Conv2dPlan } from '../plans/conv2d.js';
import type { Pool2dPlan } from '../plans/pool2d.js';
import type { MatMulPlan } from '../plans/matmul.js';
import type { BroadcastPlan, ChannelPlan, ExpandPlan, RowsPlan } from '../plans/elementwise.js';
import type { ConcatPlan, PadPlan, ReducePlan, SlicePlan, TransposePlan } from '../plans/layout.js';
import type { TensorListPlan } from '../plans/tensor-list.js';
import type { EnumValue } from './encoding.js';
import type { AttrKind, EnumName, KERNELS, PlanKind } from './kernels.js';

/** The plan type of each plan kind (a plan's `kind` field names it). */
export interface PlanTypes {
  conv2d: Conv2dPlan;
  pool2d: Pool2dPlan;
  matmul: MatMulPlan;
  broadcast: BroadcastPlan;
  expand: ExpandPlan;
  channel: ChannelPlan;
  rows: RowsPlan;
  reduce: ReducePlan;
  concat: ConcatPlan;
  slice: SlicePlan;
  transpose: TransposePlan;
  pad: PadPlan;
  tensorList: TensorListPlan;
}

// Compile-time check that every plan kind of the spec has a plan type and the other way round.
type MissingPlanType = Exclude<PlanKind, keyof PlanTypes> | Exclude<keyof PlanTypes, PlanKind>;
const _allPlans: MissingPlanType extends never ? true : MissingPlanType = true;
void _allPlans;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Specs = typeof KERNELS;

export type KernelName = keyof Specs;

type AttrValue<T extends AttrKind> = T extends 'f32' | 'i32' ? number : T extends 'bool' ? boolean : T extends EnumName ? EnumValue<T> : never;

type AttrsOf<S> = Simplify<
  (S extends { plan: infer P extends PlanKind } ? { plan: PlanTypes[P] } : unknown) &
    (S extends { attrs: infer A }
      ? { -readonly [N in keyof A as N extends `${string}?` ? never : N]: A[N] extends AttrKind ? AttrValue<A[N]> : never } & {
          -readonly [N in keyof A as N extends `${infer B}?` ? B : never]?: A[N] extends AttrKind ? AttrValue<A[N]> : never;
        }
      : unknown)
>;

type InputsOf<H, L extends readonly string[]> = Simplify<
  { [N in L[number] as N extends `${string}?` | `${string}[]` ? never : N]: H } & {
    [N in L[number] as N extends `${infer B}?` ? B : never]?: H;
  } & { [N in L[number] as N extends `${infer B}[]` ? B : never]: readonly H[] }
>;

type OutputOf<H, L extends readonly string[]> = L extends readonly [] ? void : L extends readonly [string] ? H : { -readonly [I in keyof L]: H };

/**
 * Each kernel: `inputs` are backend handles, `attrs` plain data, `output` what it returns.
 * Kernels returning `void` update their inputs in place (optimizer state only). See KERNELS for
 * what each kernel computes.
 */
export type KernelDefs<H> = {
  [K in KernelName]: { inputs: InputsOf<H, Specs[K]['inputs']>; attrs: AttrsOf<Specs[K]>; output: OutputOf<H, Specs[K]['outputs']> };
};

#!/usr/bin/env node
// Checks that an x86-64 build of the addon runs on any x86-64 CPU: `node scripts/check-baseline.mjs
// [file.node]` (default build/Release/stridenet_native.node). Two checks, both needed:
//
// 1. Flags: no compile command in the build's make dependency files (build/gyp/build/Release/.deps)
//    carries -march=, -mtune=native or an ISA extension switch (-mavx*, -mfma, -msse4*, ...). The ISA
//    paths get their instructions from target regions in the source (SN_TARGET_BEGIN, target and
//    target_clones attributes), never from flags, and are chosen at run time.
// 2. Code: objdump finds every function of the linked binary that holds an AVX/AVX-512 (VEX or EVEX)
//    instruction, and each must be one the source compiles for an ISA on purpose: a local function of a
//    translation unit whose code sits in an x86 target region (src/native/isa/avx*.cc), a target_clones
//    clone ('[clone .avx2]') or a function declared with __attribute__((target(...))). Anything else
//    (a baseline function, or an inline function of a shared header that the linker took from an AVX
//    object instead of a baseline one) would crash with SIGILL on a CPU without that extension.
//
// Needs binutils (objdump, readelf) and a binary with its symbol table (check before stripping).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { root } from './build-addon.mjs';

const src = join(root, 'src', 'native');
const ISA_FLAG = /\s-m(?:arch|tune|cpu)=\S+|\s-m(?:avx\S*|fma\S*|sse3|ssse3|sse4\S*|f16c|bmi\S*|popcnt|lzcnt|movbe|amx\S*)(?=\s|$)/g;

function tool(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? r.stderr.trim()}); install binutils`);
  }
  return r.stdout;
}

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** Compile commands (from make's .d files) that carry an ISA flag, and how many commands there were. */
export function isaFlags(depsDir) {
  if (!existsSync(depsDir)) throw new Error(`${depsDir} does not exist: build the addon first (node scripts/build-addon.mjs)`);
  const offending = [];
  let commands = 0;
  for (const f of walk(depsDir)) {
    if (!f.endsWith('.o.d')) continue;
    const cmd = /^cmd_\S+ := (.*)$/m.exec(readFileSync(f, 'utf8'))?.[1];
    if (!cmd) continue;
    commands++;
    const flags = cmd.match(ISA_FLAG);
    if (flags) offending.push(`${basename(f, '.d')}: ${flags.map((s) => s.trim()).join(' ')}`);
  }
  if (commands === 0) throw new Error(`no compile commands found under ${depsDir}`);
  return { commands, offending };
}

/** What the source compiles for an ISA on purpose: x86 target-region files, target-attribute functions. */
function intendedIsaCode() {
  const files = new Set();
  const functions = new Set();
  for (const f of walk(src)) {
    if (!/\.(cc|h|inl)$/.test(f)) continue;
    const text = readFileSync(f, 'utf8');
    if (/SN_TARGET_BEGIN\("[^"]*avx/.test(text)) files.add(basename(f));
    for (const m of text.matchAll(/__attribute__\(\(target\("[^"]+"\)\)\)[^(;{]*?(\w+)\s*\(/g)) functions.add(m[1]);
  }
  return { files, functions };
}

/** Functions of the binary with VEX/EVEX code that the source did not put in an ISA region. */
export function strayIsaCode(binary) {
  // The symbol table lists each object's local symbols after a FILE symbol naming its source.
  const byAddress = new Map();
  let file;
  for (const line of tool('readelf', ['-sW', '-C', binary]).split('\n')) {
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+(\w+)\s+(\w+)\s+\w+\s+\S+\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, value, type, bind, name] = m;
    if (type === 'FILE') file = name;
    else if (type === 'FUNC') byAddress.set(BigInt(`0x${value}`), { name, file: bind === 'LOCAL' ? file : undefined });
  }
  const { files, functions } = intendedIsaCode();
  const intended = (fn) =>
    (fn.file !== undefined && files.has(fn.file)) ||
    /\[clone \.(avx|fma)[^\]]*\]/.test(fn.name) ||
    [...functions].some((f) => new RegExp(`(^|::)${f}\\(`).test(fn.name));

  const withIsaCode = new Map();
  let current;
  // An instruction with a VEX/EVEX mnemonic (every AVX instruction starts with 'v'; k-mask moves) or a
  // ymm/zmm/mask register operand.
  const isaInstruction = /^\s+[0-9a-f]+:\s+(?:v\w+|k\w+\s+%k\d)|%[yz]mm\d|%k[1-7]\b/;
  for (const line of tool('objdump', ['-d', '--no-show-raw-insn', binary]).split('\n')) {
    const head = /^([0-9a-f]+) <.*>:$/.exec(line);
    if (head) {
      current = BigInt(`0x${head[1]}`);
      continue;
    }
    if (current !== undefined && isaInstruction.test(line)) withIsaCode.set(current, (withIsaCode.get(current) ?? 0) + 1);
  }
  const stray = [];
  for (const address of withIsaCode.keys()) {
    const fn = byAddress.get(address) ?? { name: `<no symbol at 0x${address.toString(16)}>` };
    if (!intended(fn)) stray.push(`${fn.name}${fn.file ? ` (${fn.file})` : ''}`);
  }
  if (byAddress.size === 0) throw new Error(`${binary} has no symbol table: check it before stripping`);
  return { functions: withIsaCode.size, files: [...files], targetFunctions: [...functions], stray };
}

/** Both checks; throws with the offending commands or functions. Returns a one-line summary. */
export function checkBaseline(binary, depsDir = join(root, 'build', 'gyp', 'build', 'Release', '.deps')) {
  const flags = isaFlags(depsDir);
  const code = strayIsaCode(binary);
  const problems = [
    ...flags.offending.map((o) => `compiled with an ISA flag: ${o}`),
    ...code.stray.map((s) => `AVX/AVX-512 code outside the run-time dispatched regions: ${s}`),
  ];
  if (problems.length > 0) throw new Error(`${binary} is not a baseline x86-64 build:\n  ${problems.join('\n  ')}`);
  return (
    `baseline x86-64: ${flags.commands} compile commands without -march/-mtune/ISA flags; the ${code.functions} functions with ` +
    `AVX/AVX-512 code all lie in run-time dispatched regions (${code.files.join(', ')}, target_clones, ${code.targetFunctions.join(', ')})`
  );
}

if (process.argv[1] && basename(process.argv[1]) === 'check-baseline.mjs') {
  const binary = process.argv[2] ?? join(root, 'build', 'Release', 'stridenet_native.node');
  try {
    console.log(`@stridenet/native: ${checkBaseline(binary)}`);
  } catch (e) {
    console.error(`@stridenet/native: ${e.message}`);
    process.exit(1);
  }
}

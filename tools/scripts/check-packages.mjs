#!/usr/bin/env node
// Release metadata of every publishable workspace package, checked in one place (`pnpm lint` runs it):
// what npm shows (repository, homepage, bugs, keywords, author, license, engines), what it ships
// (LICENSE in `files`, publishConfig.exports = exports without the source condition, since src/ is
// not in the tarball) and how the packages depend on each other (libraries take @stridenet/core as a
// peer, the CLI takes regular `workspace:^` dependencies), and that .changeset/config.json's fixed
// group is exactly the publishable packages.
//
// `--fix` rewrites the peer ranges on @stridenet/core to start at core's current version; the root
// script `version-packages` runs it after `changeset version`.
//
// Why the peer range is `>=<core version> <<next major>.0.0` and not `^<core version>`: changesets
// gives every peer dependent a major bump when the new core leaves its peer range, and in 0.x each
// minor leaves `^0.y.z`, so a minor release of the fixed group would come out as 1.0.0. The lower
// bound, kept equal to core's version here, still refuses an older core; a newer 0.x core with a
// different kernel spec is refused by setBackend (specVersion check).
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const REPO = 'https://github.com/stridenet/stridenet';
const SOURCE_CONDITION = '@stridenet/source';
const NODE_RANGE = '>=20.10';
const CORE = '@stridenet/core';

const readJson = (file) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

function workspacePackages() {
  const out = [];
  for (const group of ['packages', 'apps', 'tools']) {
    for (const name of readdirSync(join(ROOT, group)).sort()) {
      const dir = `${group}/${name}`;
      if (existsSync(join(ROOT, dir, 'package.json'))) out.push({ dir, pkg: readJson(`${dir}/package.json`) });
    }
  }
  return out;
}

/** The exports map as published: the source condition removed at every level. */
function withoutSourceCondition(exports) {
  if (typeof exports !== 'object' || exports === null) return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, value]) => [key, withoutSourceCondition(value)]),
  );
}

function corePeerRange(coreVersion) {
  const major = Number(coreVersion.split('.')[0]);
  return `workspace:>=${coreVersion} <${major + 1}.0.0`;
}

function checkPackage({ dir, pkg }, ctx) {
  const problems = [];
  const bad = (field, value, expected) =>
    problems.push(`${dir}/package.json: ${field} is ${JSON.stringify(value)} but expected ${expected}`);
  const expect = (field, value, expected) => {
    if (!isDeepStrictEqual(value, expected)) bad(field, value, JSON.stringify(expected));
  };

  expect('license', pkg.license, 'MIT');
  if (typeof pkg.author !== 'string' || pkg.author === '') bad('author', pkg.author, 'a non-empty string');
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) bad('keywords', pkg.keywords, 'a non-empty list');
  expect('homepage', pkg.homepage, `${REPO}/tree/main/${dir}#readme`);
  expect('bugs', pkg.bugs, { url: `${REPO}/issues` });
  expect('repository', pkg.repository, { type: 'git', url: `git+${REPO}.git`, directory: dir });
  expect('engines', pkg.engines, { node: NODE_RANGE });
  expect('publishConfig.access', pkg.publishConfig?.access, 'public');
  expect('publishConfig.exports', pkg.publishConfig?.exports, withoutSourceCondition(pkg.exports));

  if (!pkg.files?.includes('LICENSE')) bad('files', pkg.files, 'a list that includes "LICENSE"');
  const license = join(ROOT, dir, 'LICENSE');
  if (!existsSync(license)) problems.push(`${dir}/LICENSE is missing (copy the repository's LICENSE)`);
  else if (readFileSync(license, 'utf8') !== ctx.license) problems.push(`${dir}/LICENSE differs from the repository's LICENSE`);

  const isApp = pkg.bin !== undefined;
  for (const field of ['dependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (!ctx.workspace.has(name)) continue;
      if (ctx.private.has(name)) bad(`${field}.${name}`, range, 'no dependency on a private package');
      else if (!isApp && name === CORE) bad(`${field}.${name}`, range, 'none (a library takes core as a peer dependency)');
      else if (range !== 'workspace:^') bad(`${field}.${name}`, range, '"workspace:^" (pnpm publishes ^<version>)');
    }
  }
  const usesCore = pkg.name !== CORE && !isApp;
  if (usesCore) {
    expect(`peerDependencies.${CORE}`, pkg.peerDependencies?.[CORE], corePeerRange(ctx.coreVersion));
    expect(`devDependencies.${CORE}`, pkg.devDependencies?.[CORE], 'workspace:*');
  }
  return problems;
}

/** Moves every peer range on core to start at core's current version (text edit: keeps formatting). */
function fixPeerRanges(packages, coreVersion) {
  const wanted = corePeerRange(coreVersion);
  for (const { dir, pkg } of packages) {
    const current = pkg.peerDependencies?.[CORE];
    if (current === undefined || current === wanted) continue;
    const file = join(ROOT, dir, 'package.json');
    const text = readFileSync(file, 'utf8');
    const from = `${JSON.stringify(CORE)}: ${JSON.stringify(current)}`;
    writeFileSync(file, text.replace(from, `${JSON.stringify(CORE)}: ${JSON.stringify(wanted)}`));
    pkg.peerDependencies[CORE] = wanted;
    console.log(`${dir}: peerDependencies.${CORE} ${current} -> ${wanted}`);
  }
}

function main() {
  const all = workspacePackages();
  const publishable = all.filter(({ pkg }) => pkg.private !== true);
  const core = all.find(({ pkg }) => pkg.name === CORE);
  if (process.argv.includes('--fix')) fixPeerRanges(publishable, core.pkg.version);

  const ctx = {
    coreVersion: core.pkg.version,
    license: readFileSync(join(ROOT, 'LICENSE'), 'utf8'),
    workspace: new Set(all.map(({ pkg }) => pkg.name)),
    private: new Set(all.filter(({ pkg }) => pkg.private === true).map(({ pkg }) => pkg.name)),
  };
  const problems = publishable.flatMap((p) => checkPackage(p, ctx));

  const config = readJson('.changeset/config.json');
  const names = publishable.map(({ pkg }) => pkg.name).sort();
  const fixed = [...(config.fixed?.[0] ?? [])].sort();
  if (config.fixed?.length !== 1 || !isDeepStrictEqual(fixed, names)) {
    problems.push(`.changeset/config.json: fixed is ${JSON.stringify(config.fixed)} but expected one group of ${JSON.stringify(names)}`);
  }
  if (config.access !== 'public') problems.push(`.changeset/config.json: access is ${JSON.stringify(config.access)} but expected "public"`);
  if (config.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH?.onlyUpdatePeerDependentsWhenOutOfRange !== true) {
    problems.push('.changeset/config.json: onlyUpdatePeerDependentsWhenOutOfRange must be true (else every peer dependent of core is bumped major)');
  }

  if (problems.length > 0) {
    console.error(`check-packages: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`check-packages: ${publishable.length} publishable packages OK (${names.join(', ')})`);
}

main();

// Records the version of each @zephyr package (and create-zephyr, which @zephyr/cli depends on) this build of create-zephyr belongs with, read from
// the packages' own package.json (their one source), so a generated app asks for versions that exist.
// Per-platform binary packages (packages/<pkg>/npm/<triple>) are included: an install from
// tarballs must override them too, or the package manager would look them up on a registry.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const packages = new URL('../../', import.meta.url);
const manifests = [];
for (const dir of readdirSync(packages)) {
  manifests.push(new URL(`${dir}/package.json`, packages));
  const platforms = new URL(`${dir}/npm/`, packages);
  if (existsSync(platforms))
    for (const triple of readdirSync(platforms)) manifests.push(new URL(`${triple}/package.json`, platforms));
}
const versions = {};
for (const file of manifests) {
  if (!existsSync(file)) continue;
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  if (
    (manifest.name?.startsWith('@zephyr/') || manifest.name === 'create-zephyr') &&
    manifest.private !== true
  )
    versions[manifest.name] = manifest.version;
}
writeFileSync(
  new URL('../dist/package-versions.json', import.meta.url),
  `${JSON.stringify(versions, null, 2)}\n`,
);

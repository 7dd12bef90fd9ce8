// `make release`: the Nextcloud app-store release archive of this ExApp, signed when the signing key is there.
//
// For an ExApp the store archive carries the manifest, not the code (the code is the container image that
// appinfo/info.xml names): dist/release/mcp_gateway-<version>.tar.gz holds one top folder, mcp_gateway/, with
// appinfo/info.xml, CHANGELOG.md, LICENSE, README.md, and img/ (the listing's screenshot) and l10n/ when present.
//
// TypeScript run with tsx, like the other scripts, rather than a shell script: the test imports the same
// functions, the manifest is checked with the XML parser the app already depends on, and the archive is written
// with tar-stream, every header field set here, instead of by the local `tar` (GNU or BSD, each with its own
// headers), so the same tree gives the same archive (fixed order, owners, modes and times; compressed by Node's
// zlib): a tarball built in CI and one built on a maintainer's laptop carry the same signature. Only the signature itself goes to the `openssl` binary, exactly as the app store documents
// it: `openssl dgst -sha512 -sign <key> <tarball> | openssl base64`.
//
//   make release                          build, check, and sign with ~/.nextcloud/certificates/mcp_gateway.key
//   APPSTORE_KEY=/path/to/key make release   sign with that key (a missing file is an error)
//   node --import tsx scripts/release.ts --out <dir>   write somewhere else than dist/release
//
// RELEASE_DOWNLOAD_URL overrides the public URL printed in the upload command (default: the GitHub release
// asset of tag v<version> in the repository named by info.xml); SOURCE_DATE_EPOCH fixes the files' time
// (default: the time of the last commit).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import tar from 'tar-stream';

export const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What the store enforces (nextcloud/appstore: docs/developer.rst, docs/restapi.rst, api/v1/release/). */
export const STORE = {
  uploadUrl: 'https://apps.nextcloud.com/api/v1/apps/releases',
  /** The archive is downloaded from a public https URL, at most 20 MiB. */
  maxArchiveBytes: 20 * 1024 ** 2,
  /** info.xml must be smaller than 512 KiB; every file the store reads from the archive at most 1 MiB. */
  maxInfoXmlBytes: 512 * 1024,
  maxReadFileBytes: 1024 ** 2,
  /** One top folder, named like the app id (parser.py `app_folder_regex`; info.xsd type `id`). */
  appIdPattern: /^[a-z]+[a-z0-9_]*[a-z0-9]+$/,
  /** info.xsd type `semver`. */
  semverPattern: /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/,
  /** parser.py `parse_changelog`: the heading of a version's section in CHANGELOG.md. */
  changelogHeading: /^## (?:\[)?(?:v)?(\d+\.\d+(\.\d+)?)/,
  /** info.xsd: name and summary are `l10n-string` (at most 128 characters); urls at most 256. */
  maxNameChars: 128,
  maxUrlChars: 256,
  maxScreenshots: 10,
  /** The order of info.xsd's `<info>` sequence (the store reorders with pre-info.xslt; Nextcloud does not). */
  elementOrder: [
    'id',
    'name',
    'summary',
    'description',
    'version',
    'licence',
    'author',
    'namespace',
    'types',
    'documentation',
    'category',
    'website',
    'discussion',
    'bugs',
    'repository',
    'screenshot',
    'dependencies',
    'background-jobs',
    'repair-steps',
    'two-factor-providers',
    'commands',
    'settings',
    'activity',
    'dashboard',
    'fulltextsearch',
    'navigations',
    'contactsmenu',
    'collaboration',
    'sabre',
    'external-app',
  ],
} as const;

export interface Manifest {
  id: string;
  name: string;
  summary: string;
  description: string;
  version: string;
  registry: string;
  image: string;
  imageTag: string;
  repository: string;
  screenshots: string[];
  documentation: string[];
  /** Top-level element names in document order. */
  elements: string[];
  /** `<environment-variables>` names whose `<default>` is present but empty. */
  emptyDefaults: string[];
  routeUrls: string[];
}

type Node = Record<string, unknown>;

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return text((value as Node)['#text']);
  return String(value).trim();
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

export function parseManifest(xml: string): Manifest {
  const info = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true }).parse(xml).info as Node | undefined;
  if (!info) throw new Error('appinfo/info.xml has no <info> element');
  const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: true }).parse(xml) as Node[];
  const infoNode = ordered.find((node) => 'info' in node);
  const elements = ((infoNode?.info as Node[] | undefined) ?? []).flatMap((node) =>
    Object.keys(node).filter((key) => key !== ':@' && key !== '#text'),
  );
  const external = (info['external-app'] ?? {}) as Node;
  const docker = (external['docker-install'] ?? {}) as Node;
  const variables = list(((external['environment-variables'] ?? {}) as Node).variable) as Node[];
  const routes = list(((external.routes ?? {}) as Node).route) as Node[];
  const documentation = (info.documentation ?? {}) as Node;
  return {
    id: text(info.id),
    name: text(list(info.name)[0]),
    summary: text(list(info.summary)[0]),
    description: text(list(info.description)[0]),
    version: text(info.version),
    registry: text(docker.registry),
    image: text(docker.image),
    imageTag: text(docker['image-tag']),
    repository: text(info.repository),
    screenshots: list(info.screenshot).map(text),
    documentation: ['user', 'admin', 'developer'].map((key) => text(documentation[key])).filter(Boolean),
    elements,
    emptyDefaults: variables
      .filter((variable) => 'default' in variable && text(variable.default) === '')
      .map((variable) => text(variable.name)),
    routeUrls: routes.map((route) => text(route.url)),
  };
}

/** The lines of CHANGELOG.md the store shows for `version` (its own parsing, parser.py `parse_changelog`). */
export function changelogSection(changelog: string, version: string): string {
  const wanted = version.includes('-') ? 'Unreleased' : version;
  const sections = new Map<string, string[]>();
  let current = '';
  for (const line of changelog.trim().split(/\r?\n/)) {
    const heading = STORE.changelogHeading.exec(line);
    if (heading) current = heading[1]!;
    else if (/^## \[Unreleased\]/.test(line)) current = 'Unreleased';
    else sections.set(current, [...(sections.get(current) ?? []), line]);
  }
  return (sections.get(wanted) ?? []).join('\n').trim();
}

/** GitHub's anchor for a Markdown heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export interface CheckResult {
  manifest: Manifest;
  errors: string[];
  warnings: string[];
}

/** The checks the store (and AppAPI installing from the store) would fail on, before anything is built. */
export function checkRelease(root = repoRoot): CheckResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const infoPath = path.join(root, 'appinfo', 'info.xml');
  const xml = fs.readFileSync(infoPath, 'utf8');
  const manifest = parseManifest(xml);
  const { id, version } = manifest;

  if (!STORE.appIdPattern.test(id))
    errors.push(`info.xml <id> "${id}" is not an app id the store accepts (lower-case ASCII letters, digits, underscores)`);
  if (!STORE.semverPattern.test(version))
    errors.push(`info.xml <version> "${version}" is not a semantic version (e.g. 1.2.3 or 1.3.0-beta.1)`);
  if (manifest.imageTag !== version)
    errors.push(
      `info.xml <image-tag> "${manifest.imageTag}" differs from <version> "${version}": AppAPI would run another image than the release names`,
    );
  const packageVersion = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version;
  if (packageVersion !== version) errors.push(`package.json version "${packageVersion}" differs from info.xml <version> "${version}"`);
  if (!manifest.registry || !manifest.image) errors.push('info.xml <docker-install> must name <registry> and <image>');
  if (Buffer.byteLength(xml) >= STORE.maxInfoXmlBytes)
    errors.push(`info.xml is ${Buffer.byteLength(xml)} bytes; the store takes less than ${STORE.maxInfoXmlBytes}`);

  if (!manifest.name || manifest.name.length > STORE.maxNameChars)
    errors.push(`info.xml <name> must have 1 to ${STORE.maxNameChars} characters`);
  if (!manifest.summary || manifest.summary.length > STORE.maxNameChars)
    errors.push(`info.xml <summary> must have 1 to ${STORE.maxNameChars} characters (has ${manifest.summary.length})`);
  if (!manifest.description) errors.push('info.xml <description> is empty');

  let last = -1;
  for (const element of manifest.elements) {
    const at = (STORE.elementOrder as readonly string[]).indexOf(element);
    if (at === -1) continue; // the store drops elements it does not know
    if (at < last)
      errors.push(
        `info.xml <${element}> comes after <${STORE.elementOrder[last]}>; the store's schema wants the order ${STORE.elementOrder.join(', ')}`,
      );
    last = Math.max(last, at);
  }

  if (manifest.screenshots.length > STORE.maxScreenshots)
    errors.push(`info.xml has ${manifest.screenshots.length} screenshots; the store takes at most ${STORE.maxScreenshots}`);
  for (const url of [...manifest.screenshots, ...manifest.documentation]) {
    if (!/^https:\/\/.+/.test(url) || url.length > STORE.maxUrlChars)
      errors.push(`info.xml link ${url} must be an https URL of at most ${STORE.maxUrlChars} characters`);
  }
  // Screenshots served from this repository must exist in it (raw.githubusercontent.com/<owner>/<repo>/<ref>/<path>).
  for (const url of manifest.screenshots) {
    const raw = /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[^/]+\/(.+)$/.exec(url);
    if (raw && !fs.existsSync(path.join(root, decodeURIComponent(raw[1]!))))
      errors.push(`screenshot ${url} points at ${raw[1]}, which is not in the repository`);
  }
  // Documentation links into the README must name one of its headings.
  const readme = fs.existsSync(path.join(root, 'README.md')) ? fs.readFileSync(path.join(root, 'README.md'), 'utf8') : '';
  const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1]!)));
  for (const url of manifest.documentation) {
    const anchor = /^https:\/\/github\.com\/[^/]+\/[^/#]+\/?#(.+)$/.exec(url)?.[1];
    if (anchor && anchor !== 'readme' && !anchors.has(anchor))
      errors.push(`documentation link ${url}: README.md has no heading with the anchor #${anchor}`);
  }

  for (const file of ['CHANGELOG.md', 'LICENSE', 'README.md']) {
    if (!fs.existsSync(path.join(root, file))) errors.push(`${file} is missing`);
  }
  const changelogPath = path.join(root, 'CHANGELOG.md');
  if (fs.existsSync(changelogPath)) {
    const changelog = fs.readFileSync(changelogPath, 'utf8');
    if (Buffer.byteLength(changelog) > STORE.maxReadFileBytes)
      errors.push(`CHANGELOG.md is larger than the ${STORE.maxReadFileBytes} bytes the store reads`);
    if (!changelogSection(changelog, version))
      errors.push(`CHANGELOG.md has no entries under "## [${version}]": the store would show an empty changelog for this release`);
  }

  // AppAPI on the released Nextcloud versions (contract sheet, corrections 1 and 2): not store errors, but a
  // release that has them does not install or does not route everywhere.
  for (const name of manifest.emptyDefaults) {
    warnings.push(
      `<environment-variables> ${name} has an empty <default>: AppAPI 32-34 turns it into the string "Array"; omit the element`,
    );
  }
  for (const url of manifest.routeUrls) {
    if (!url.startsWith('^\\/?'))
      warnings.push(`route ${url} does not start with ^\\/? : AppAPI before 32.0.10 / 33.0.4 would not match it`);
  }
  return { manifest, errors, warnings };
}

/** Files of the archive, relative to the repository root, in archive order. */
export function releaseFiles(root = repoRoot): string[] {
  const files = ['appinfo/info.xml', 'CHANGELOG.md', 'LICENSE', 'README.md'];
  for (const dir of ['img', 'l10n']) {
    const full = path.join(root, dir);
    if (!fs.existsSync(full)) continue;
    const walk = (at: string): void => {
      for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
        if (entry.name.startsWith('.')) continue;
        if (entry.isDirectory()) walk(path.join(at, entry.name));
        else if (entry.isFile()) files.push(path.relative(root, path.join(at, entry.name)).split(path.sep).join('/'));
      }
    };
    walk(full);
  }
  return files.sort();
}

/**
 * A gzip-compressed ustar archive of `entries` (paths ending in / are folders), the same bytes on every machine:
 * every header field is set here (owner root, fixed modes and time), nothing is read from the file system.
 */
export async function tarGz(entries: { name: string; data?: Buffer }[], mtime: number): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const isDir = entry.name.endsWith('/');
    const header = { name: entry.name, mtime: new Date(mtime * 1000), uid: 0, gid: 0, uname: 'root', gname: 'root' };
    if (isDir) pack.entry({ ...header, type: 'directory', mode: 0o755 });
    else pack.entry({ ...header, type: 'file', mode: 0o644 }, entry.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  await ended;
  const gz = gzipSync(Buffer.concat(chunks), { level: 9 });
  gz[9] = 3; // OS = Unix in the gzip header, whatever zlib was built for
  return gz;
}

function sourceDateEpoch(root: string): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (process.env.SOURCE_DATE_EPOCH && Number.isInteger(fromEnv) && fromEnv >= 0) return fromEnv;
  try {
    const committed = Number(
      execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim(),
    );
    if (Number.isInteger(committed) && committed > 0) return committed;
  } catch {
    // not a git checkout
  }
  return Math.floor(Date.now() / 1000);
}

export interface BuiltRelease {
  manifest: Manifest;
  tarball: string;
  version: string;
  id: string;
  /** Archive member names, in order. */
  members: string[];
  sha256: string;
  bytes: number;
  warnings: string[];
}

/** Checks the manifest and writes `<outDir>/<id>-<version>.tar.gz`; throws with every problem found. */
export async function buildRelease(options: { root?: string; outDir?: string; mtime?: number } = {}): Promise<BuiltRelease> {
  const root = options.root ?? repoRoot;
  const outDir = options.outDir ?? path.join(root, 'dist', 'release');
  const { manifest, errors, warnings } = checkRelease(root);
  if (errors.length) throw new Error(`The release is not ready for the app store:\n${errors.map((error) => `  - ${error}`).join('\n')}`);
  const { id, version } = manifest;
  const mtime = options.mtime ?? sourceDateEpoch(root);

  const files = releaseFiles(root);
  const dirs = new Set<string>([`${id}/`]);
  for (const file of files) {
    const parts = file.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${id}/${parts.slice(0, i).join('/')}/`);
  }
  const entries = [
    ...[...dirs].map((name) => ({ name })),
    ...files.map((file) => ({ name: `${id}/${file}`, data: fs.readFileSync(path.join(root, file)) })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const archive = await tarGz(entries, mtime);
  if (archive.length > STORE.maxArchiveBytes)
    throw new Error(`The archive is ${archive.length} bytes; the store downloads at most ${STORE.maxArchiveBytes}`);

  fs.mkdirSync(outDir, { recursive: true });
  const tarball = path.join(outDir, `${id}-${version}.tar.gz`);
  fs.rmSync(`${tarball}.sig`, { force: true }); // a signature of an earlier build would not match
  fs.writeFileSync(tarball, archive);
  return {
    manifest,
    tarball,
    version,
    id,
    members: entries.map((entry) => entry.name),
    sha256: createHash('sha256').update(archive).digest('hex'),
    bytes: archive.length,
    warnings,
  };
}

/**
 * The store's signature: `openssl dgst -sha512 -sign <key> <tarball> | openssl base64` (RSA PKCS#1 v1.5 over
 * SHA-512 of the archive bytes), written to `<tarball>.sig` on one line. openssl asks for the passphrase of an
 * encrypted key on the terminal. When the certificate the store knows is beside the key (`<id>.crt`, or
 * APPSTORE_CERT), the signature is checked against it, as the store will.
 */
export function signTarball(tarball: string, keyPath: string, certPath?: string): string {
  const signature = execFileSync('openssl', ['dgst', '-sha512', '-sign', keyPath, tarball], { stdio: ['inherit', 'pipe', 'inherit'] });
  const base64 = signature.toString('base64');
  if (certPath && fs.existsSync(certPath)) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-sig-'));
    try {
      fs.writeFileSync(path.join(work, 'pub.pem'), execFileSync('openssl', ['x509', '-in', certPath, '-pubkey', '-noout']));
      fs.writeFileSync(path.join(work, 'sig.bin'), signature);
      execFileSync(
        'openssl',
        ['dgst', '-sha512', '-verify', path.join(work, 'pub.pem'), '-signature', path.join(work, 'sig.bin'), tarball],
        { stdio: 'pipe' },
      );
    } catch {
      throw new Error(
        `The signature does not verify with ${certPath}: the key and the certificate do not belong together, and the store would refuse the release`,
      );
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  fs.writeFileSync(`${tarball}.sig`, `${base64}\n`);
  return base64;
}

export function downloadUrl(manifest: Pick<Manifest, 'repository' | 'id' | 'version'>): string {
  if (process.env.RELEASE_DOWNLOAD_URL) return process.env.RELEASE_DOWNLOAD_URL;
  const repository = manifest.repository.replace(/\.git$/, '').replace(/\/$/, '');
  return `${repository}/releases/download/v${manifest.version}/${manifest.id}-${manifest.version}.tar.gz`;
}

export function uploadCommand(download: string, signature: string): string {
  const body = JSON.stringify({ download, signature, nightly: false });
  return [
    `curl --fail-with-body -X POST ${STORE.uploadUrl} \\`,
    '  -H "Authorization: Token $APPSTORE_TOKEN" -H "Content-Type: application/json" \\',
    `  -d '${body}'`,
  ].join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const outDir = outAt >= 0 ? path.resolve(args[outAt + 1] ?? '') : undefined;
  let built: BuiltRelease;
  try {
    built = await buildRelease({ outDir });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  const relative = path.relative(process.cwd(), built.tarball);
  const shown = relative && !relative.startsWith('..') ? relative : built.tarball;
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Built ${shown} (${built.bytes} bytes, sha256 ${built.sha256})`);
  for (const member of built.members) out(`  ${member}`);
  for (const warning of built.warnings) out(`Warning: ${warning}`);

  const defaultKey = path.join(os.homedir(), '.nextcloud', 'certificates', `${built.id}.key`);
  const keyPath = process.env.APPSTORE_KEY || defaultKey;
  out();
  if (!fs.existsSync(keyPath)) {
    if (process.env.APPSTORE_KEY) {
      process.stderr.write(`APPSTORE_KEY names ${keyPath}, which does not exist.\n`);
      return 1;
    }
    out(`The tarball is UNSIGNED: no signing key at ${keyPath} (set APPSTORE_KEY to the key's path).`);
    out('The app store only takes a release signed with the key of the certificate it knows for this app. Sign with:');
    out(`  openssl dgst -sha512 -sign ~/.nextcloud/certificates/${built.id}.key ${shown} | openssl base64 -A > ${shown}.sig`);
    out('or run `make release` again once the key is there. See README.md, "Releasing".');
    return 0;
  }
  const certPath = process.env.APPSTORE_CERT || keyPath.replace(/\.key$/, '.crt');
  let signature: string;
  try {
    signature = signTarball(built.tarball, keyPath, certPath);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  out(`Signed with ${keyPath}${fs.existsSync(certPath) ? ` (checked against ${certPath})` : ''}: ${shown}.sig`);
  out();
  out(`Publish ${shown} at a public https URL (the GitHub release of tag v${built.version}), then upload it to the store`);
  out('with your app-store API token (https://apps.nextcloud.com/account/token):');
  out();
  out(uploadCommand(downloadUrl(built.manifest), signature));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}

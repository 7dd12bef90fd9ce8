// `make release`: the app-store archive is what the Nextcloud app store and AppAPI accept (one top folder named
// like the app id, appinfo/info.xml inside, the store's checks on the manifest), the same bytes for the same
// tree, and signed the way the store documents (`openssl dgst -sha512 -sign key tarball | openssl base64`),
// verified here with the openssl CLI as the store and AppAPI verify it. Everything happens in a temp folder,
// with a throwaway key; nothing goes to the network.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE, buildRelease, changelogSection, checkRelease, parseManifest } from '../../scripts/release.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = path.join(root, 'scripts', 'release.ts');
const infoXml = fs.readFileSync(path.join(root, 'appinfo', 'info.xml'), 'utf8');
const manifest = parseManifest(infoXml);
const tarballName = `mcp_gateway-${manifest.version}.tar.gz`;

let work: string;

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(command, args, { cwd: root, encoding: 'utf8', env: options.env ?? process.env, timeout: 60_000 });
}

/** `make release` without make: the same command line the Makefile runs, with its own output folder. */
function releaseCli(outDir: string, env: NodeJS.ProcessEnv) {
  return run(process.execPath, ['--import', 'tsx', script, '--out', outDir], { env: { ...process.env, ...env } });
}

function openssl(args: string[]) {
  return run('openssl', args);
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-release-'));
});
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the app-store archive', () => {
  it('has one top folder, mcp_gateway/, with the manifest, changelog, licence, readme and screenshot', async () => {
    const built = await buildRelease({ outDir: path.join(work, 'build') });
    expect(path.basename(built.tarball)).toBe(tarballName);
    expect(built.bytes).toBeLessThan(STORE.maxArchiveBytes);

    // Listed by the system's tar, not by the code that wrote it.
    const listing = execFileSync('tar', ['-tzf', built.tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(built.members);
    for (const file of ['appinfo/info.xml', 'CHANGELOG.md', 'LICENSE', 'README.md', 'img/screenshot-consent.png']) {
      expect(listing).toContain(`mcp_gateway/${file}`);
    }
    expect(listing.every((name) => name === 'mcp_gateway/' || name.startsWith('mcp_gateway/'))).toBe(true);
    // The store's own test (parser.py find_app_folders): exactly one candidate top folder, equal to the app id.
    const folders = new Set(listing.filter((name) => /^[a-z]+[a-z0-9_]*(?:\/.*)*$/.test(name)).map((name) => name.split('/')[0]));
    expect([...folders]).toEqual(['mcp_gateway']);
    // No code: for an ExApp the code is the container image.
    expect(listing.some((name) => /\.(ts|js)$/.test(name) || name.includes('node_modules'))).toBe(false);
    // Plain files and folders only (the store refuses links), owned by root, readable by everyone.
    const long = execFileSync('tar', ['-tvzf', built.tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(long.every((line) => /^(-rw-r--r--|drwxr-xr-x) root\/root /.test(line))).toBe(true);

    // info.xml inside is the repository's, byte for byte, and names the app and the version of the file name.
    const inside = execFileSync('tar', ['-xOzf', built.tarball, 'mcp_gateway/appinfo/info.xml'], { encoding: 'utf8' });
    expect(inside).toBe(infoXml);
    const parsed = parseManifest(inside);
    expect(parsed.id).toBe('mcp_gateway');
    expect(`mcp_gateway-${parsed.version}.tar.gz`).toBe(tarballName);
    expect(parsed.imageTag).toBe(parsed.version);
    expect(`${parsed.registry}/${parsed.image}`).toBe('ghcr.io/mcp-gateway/mcp_gateway');
    expect(execFileSync('tar', ['-xOzf', built.tarball, 'mcp_gateway/LICENSE']).equals(fs.readFileSync(path.join(root, 'LICENSE')))).toBe(
      true,
    );
  });

  it('extracts as AppAPI extracts it: one folder, whose appinfo/info.xml has the app id', async () => {
    const built = await buildRelease({ outDir: path.join(work, 'php') });
    const target = path.join(work, 'php', 'extracted');
    fs.mkdirSync(target);
    // ExAppArchiveFetcher: extract, expect a single folder, read <folder>/appinfo/info.xml, compare the id.
    const php = run('php', [
      '-r',
      '(new PharData($argv[1]))->extractTo($argv[2]); $dirs = array_values(array_diff(scandir($argv[2]), [".", ".."])); ' +
        'echo count($dirs), " ", $dirs[0], " ", simplexml_load_file($argv[2] . "/" . $dirs[0] . "/appinfo/info.xml")->id;',
      built.tarball,
      target,
    ]);
    expect(php.stderr).toBe('');
    expect(php.stdout).toBe('1 mcp_gateway mcp_gateway');
  });

  it('is the same, byte for byte, when built twice from the same tree', async () => {
    const first = await buildRelease({ outDir: path.join(work, 'one'), mtime: 1_764_720_000 });
    const second = await buildRelease({ outDir: path.join(work, 'two'), mtime: 1_764_720_000 });
    expect(second.sha256).toBe(first.sha256);
    expect(fs.readFileSync(second.tarball).equals(fs.readFileSync(first.tarball))).toBe(true);
  });

  it('passes the checks the store makes on the manifest and the changelog', () => {
    const { errors } = checkRelease(root);
    expect(errors).toEqual([]);
    expect(manifest.summary.length).toBeLessThanOrEqual(STORE.maxNameChars);
    // The listing says plainly where data goes and who decides.
    expect(manifest.description).toMatch(/AI provider/);
    expect(manifest.description).toMatch(/admins decide/i);
    expect(manifest.screenshots.length).toBeGreaterThan(0);
    expect(manifest.documentation).toHaveLength(3);
    // The store shows this section of CHANGELOG.md for the release, and [Unreleased] for nightlies.
    const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    expect(changelogSection(changelog, manifest.version)).toMatch(/^### Added/m);
    expect(changelog).toMatch(/^## \[Unreleased\]/m);
  });

  it('refuses a manifest whose image tag is not its version, or whose elements are out of the schema order', async () => {
    const copy = path.join(work, 'broken');
    for (const file of ['appinfo/info.xml', 'package.json', 'CHANGELOG.md', 'LICENSE', 'README.md', 'img/screenshot-consent.png']) {
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      fs.copyFileSync(path.join(root, file), path.join(copy, file));
    }
    const broken = infoXml
      .replace(/<image-tag>[^<]*<\/image-tag>/, '<image-tag>9.9.9</image-tag>')
      .replace(/\t<documentation>[\s\S]*?<\/documentation>\n/, '')
      .replace('\t<bugs>', '\t<documentation><user>https://example.com/docs</user></documentation>\n\t<bugs>');
    fs.writeFileSync(path.join(copy, 'appinfo', 'info.xml'), broken);
    const { errors } = checkRelease(copy);
    expect(errors.join('\n')).toMatch(/<image-tag> "9\.9\.9" differs from <version>/);
    expect(errors.join('\n')).toMatch(/<documentation> comes after <website>/);
    await expect(buildRelease({ root: copy, outDir: path.join(copy, 'out') })).rejects.toThrow(/not ready for the app store/);
  });
});

describe('signing', () => {
  let key: string;
  let pub: string;

  beforeAll(() => {
    key = path.join(work, 'mcp_gateway.key');
    pub = path.join(work, 'pub.pem');
    expect(openssl(['genrsa', '-out', key, '4096']).status).toBe(0);
    expect(openssl(['rsa', '-in', key, '-pubout', '-out', pub]).status).toBe(0);
  }, 120_000);

  it('signs with the key in APPSTORE_KEY, verifiably with openssl, and prints the store upload', () => {
    const out = path.join(work, 'signed');
    const result = releaseCli(out, {
      APPSTORE_KEY: key,
      APPSTORE_CERT: '',
      RELEASE_DOWNLOAD_URL: 'https://example.com/mcp_gateway.tar.gz',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const tarball = path.join(out, tarballName);
    const signature = fs.readFileSync(`${tarball}.sig`, 'utf8').trim();
    expect(signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    fs.writeFileSync(path.join(work, 'sig.bin'), Buffer.from(signature, 'base64'));

    const verified = openssl(['dgst', '-sha512', '-verify', pub, '-signature', path.join(work, 'sig.bin'), tarball]);
    expect(verified.stdout.trim()).toBe('Verified OK');
    expect(verified.status).toBe(0);

    // The same signature as the store's documented command line (RSA PKCS#1 v1.5 is deterministic).
    const documented = run('sh', ['-c', 'openssl dgst -sha512 -sign "$0" "$1" | openssl base64', key, tarball]);
    expect(documented.stdout.replace(/\s/g, '')).toBe(signature);

    // The store's REST call, ready to run with a token.
    expect(result.stdout).toContain('-X POST https://apps.nextcloud.com/api/v1/apps/releases');
    expect(result.stdout).toContain('Authorization: Token $APPSTORE_TOKEN');
    const body = /-d '(\{.*\})'/.exec(result.stdout)?.[1];
    expect(JSON.parse(body!)).toEqual({ download: 'https://example.com/mcp_gateway.tar.gz', signature, nightly: false });
  });

  it('a changed archive no longer verifies', () => {
    const tarball = path.join(work, 'signed', tarballName);
    const sig = path.join(work, 'sig.bin');
    const flipped = path.join(work, 'flipped.tar.gz');
    const bytes = fs.readFileSync(tarball);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    fs.writeFileSync(flipped, bytes);
    const extended = path.join(work, 'extended.tar.gz');
    fs.writeFileSync(extended, Buffer.concat([fs.readFileSync(tarball), Buffer.from([0])]));
    for (const tampered of [flipped, extended]) {
      const result = openssl(['dgst', '-sha512', '-verify', pub, '-signature', sig, tampered]);
      expect(result.status).not.toBe(0);
      expect(result.stdout).toContain('Verification failure');
    }
  });

  it('checks the signature against the certificate beside the key, and refuses a key that does not belong to it', () => {
    const cert = path.join(work, 'mcp_gateway.crt');
    expect(openssl(['req', '-new', '-x509', '-key', key, '-out', cert, '-days', '1', '-subj', '/CN=mcp_gateway']).status).toBe(0);
    const good = releaseCli(path.join(work, 'with-cert'), { APPSTORE_KEY: key });
    expect(good.status).toBe(0);
    expect(good.stdout).toContain(`checked against ${cert}`);

    const otherKey = path.join(work, 'other.key');
    expect(openssl(['genrsa', '-out', otherKey, '2048']).status).toBe(0);
    const wrong = releaseCli(path.join(work, 'wrong-cert'), { APPSTORE_KEY: otherKey, APPSTORE_CERT: cert });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/does not verify with .*mcp_gateway\.crt/);
    expect(fs.existsSync(path.join(work, 'wrong-cert', `${tarballName}.sig`))).toBe(false);
  }, 60_000);

  it('without a key, builds an unsigned archive and says how to sign it', () => {
    const out = path.join(work, 'unsigned');
    const home = path.join(work, 'home');
    fs.mkdirSync(home);
    const env: NodeJS.ProcessEnv = { HOME: home };
    const result = releaseCli(out, { ...env, APPSTORE_KEY: '' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('UNSIGNED');
    expect(result.stdout).toContain('openssl dgst -sha512 -sign ~/.nextcloud/certificates/mcp_gateway.key');
    expect(fs.existsSync(path.join(out, tarballName))).toBe(true);
    expect(fs.existsSync(path.join(out, `${tarballName}.sig`))).toBe(false);
  });

  it('fails when APPSTORE_KEY names a file that is not there', () => {
    const result = releaseCli(path.join(work, 'missing'), { APPSTORE_KEY: path.join(work, 'nope.key') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('nope.key, which does not exist');
  });
});

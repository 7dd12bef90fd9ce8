// Prints the --json-info for `occ app_api:app:register` (manual-install daemons) from appinfo/info.xml,
// with routes as AppAPI's JSON form wants them (access levels as integers).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readExAppManifest } from '../lib/exapp-manifest.js';

export const infoXmlPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'appinfo', 'info.xml');

export function jsonInfo(options: { secret: string; port: number }): string {
  const manifest = readExAppManifest(fs.readFileSync(infoXmlPath, 'utf8'));
  return JSON.stringify({
    id: manifest.id,
    name: manifest.name,
    version: manifest.version,
    secret: options.secret,
    port: options.port,
    routes: manifest.routes,
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [secret, port] = [process.env.APP_SECRET, Number(process.env.APP_PORT ?? 23000)];
  if (!secret) {
    process.stderr.write('Set APP_SECRET (and APP_PORT) to the values the app process runs with.\n');
    process.exit(2);
  }
  process.stdout.write(`${jsonInfo({ secret, port })}\n`);
}

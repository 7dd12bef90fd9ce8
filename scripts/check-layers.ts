// The house's floors: every import within the app runs downward, from a room on a higher floor to one on a lower
// floor (or within its own room). `make test` runs this check; `--graph` prints which room imports which.
//
// A room is lib/, a top-level folder of src/ (src/oauth, src/tools, ...) or a top-level file of src/ (config,
// server, main). Tests, benchmarks and developer scripts stand outside the house and may use any room; what ships
// (src/, lib/ and the scripts an admin runs) never imports from tests/ or bench/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Lowest floor first. Rooms on one floor may not import each other. */
export const FLOORS: readonly (readonly string[])[] = [
  ['lib'],
  ['src/core'],
  ['src/store', 'src/policy'],
  ['src/config'],
  ['src/tools'],
  ['src/http'],
  ['src/oauth'],
  ['src/mcp'],
  ['src/admin'],
  ['src/server'],
  ['src/main'],
];

/** Scripts that admins run (the README's manual install): they ship like the app. */
const ADMIN_SCRIPTS = ['scripts/json-info.ts'];
const OUTSIDE = ['scripts', 'bench', 'tests'];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCANNED = ['src', 'lib', 'scripts', 'bench', 'tests'];

/** The room a project file belongs to, or null for a file outside the rooms (node_modules, the simulator's PHP). */
export function roomOf(file: string): string | null {
  const parts = path.relative(root, file).split(path.sep);
  if (parts[0] === 'src') return parts.length === 2 ? `src/${parts[1]!.replace(/\.(ts|js)$/, '')}` : `src/${parts[1]}`;
  return SCANNED.includes(parts[0]!) ? parts[0]! : null;
}

const floorOf = new Map(FLOORS.flatMap((rooms, floor) => rooms.map((room) => [room, floor] as const)));

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'vendor' ? [] : sourceFiles(full);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

// Static imports and re-exports (type-only ones too: they tie the rooms together as much), and dynamic imports.
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm;

export interface Edge {
  from: string;
  to: string;
  files: string[];
}

export function importEdges(): Edge[] {
  const edges = new Map<string, Edge>();
  for (const file of SCANNED.flatMap((dir) => sourceFiles(path.join(root, dir)))) {
    const from = roomOf(file);
    if (!from) continue;
    for (const match of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = path.resolve(path.dirname(file), match[1] ?? match[2]!);
      const to = roomOf(target);
      if (!to || to === from) continue;
      const key = `${from} -> ${to}`;
      const edge = edges.get(key) ?? { from, to, files: [] };
      edge.files.push(path.relative(root, file));
      edges.set(key, edge);
    }
  }
  return [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

const ships = (file: string) => file.startsWith('src/') || file.startsWith('lib/') || ADMIN_SCRIPTS.includes(file);

/** Why an edge breaks the house, or null when it runs downward. */
export function violation(edge: Edge): string | null {
  if (edge.to === 'tests' || edge.to === 'bench') {
    const shipped = edge.files.filter(ships);
    return shipped.length > 0 ? `${shipped.join(', ')} ship${shipped.length === 1 ? 's' : ''}, ${edge.to}/ does not` : null;
  }
  if (OUTSIDE.includes(edge.from)) return null;
  const from = floorOf.get(edge.from);
  const to = floorOf.get(edge.to);
  if (from === undefined) return `${edge.from} has no floor (add it to FLOORS in scripts/check-layers.ts)`;
  if (to === undefined) return `${edge.to} has no floor (add it to FLOORS in scripts/check-layers.ts)`;
  if (to === from) return `${edge.from} and ${edge.to} are on the same floor`;
  return to > from ? `${edge.to} stands above ${edge.from}` : null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const edges = importEdges();
  if (process.argv.includes('--graph')) {
    for (const edge of edges)
      console.log(
        `${edge.from.padEnd(14)} -> ${edge.to.padEnd(14)} ${String(edge.files.length).padStart(3)}${violation(edge) ? '   UPWARD' : ''}`,
      );
  }
  const broken = edges.flatMap((edge) => {
    const why = violation(edge);
    return why ? [`${edge.from} -> ${edge.to}: ${why} (${edge.files.join(', ')})`] : [];
  });
  if (broken.length > 0) {
    console.error(`Imports that run upward between the project's layers:\n  ${broken.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    `Every import runs downward (${edges.length} links between ${new Set(edges.flatMap((edge) => [edge.from, edge.to])).size} rooms).`,
  );
}

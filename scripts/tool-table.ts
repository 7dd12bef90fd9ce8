// The README's tool table, generated from the tool modules so it cannot drift from what the server offers.
// `npm run tool-table` rewrites the table between the README's markers.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTools } from '../src/tools/index.js';

const START = /<!-- tool-table:start[^>]*-->/;
const END = '<!-- tool-table:end -->';

export function toolTable(): string {
  const rows = allTools.map((tool) => {
    const scopes =
      'anyOf' in tool.scopes
        ? tool.scopes.anyOf.map((scope) => `\`${scope}\``).join(' or ')
        : tool.scopes.allOf.map((scope) => `\`${scope}\``).join(' + ') || 'any grant';
    // The first sentence is the summary; the rest of a description is guidance for the model.
    const summary = (/^.*?[.!?](\s|$)/.exec(tool.description)?.[0] ?? tool.description).trim().replaceAll('|', '\\|');
    const kind = tool.annotations.readOnlyHint ? 'read' : tool.annotations.destructiveHint ? 'write, destructive' : 'write';
    return `| \`${tool.name}\` | ${scopes} | ${kind} | ${summary} |`;
  });
  return ['| Tool | Scope | Kind | What it does |', '|---|---|---|---|', ...rows].join('\n');
}

/** The README with the generated table between the markers. */
export function withToolTable(readme: string): string {
  const start = START.exec(readme);
  const end = readme.indexOf(END);
  if (!start || end < start.index) throw new Error('README.md has no tool-table markers');
  return `${readme.slice(0, start.index + start[0].length)}\n${toolTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
  fs.writeFileSync(file, withToolTable(fs.readFileSync(file, 'utf8')));
  console.log(toolTable());
}

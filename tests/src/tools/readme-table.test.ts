// The README's tool table is what the server offers: every tool, its scope and what it does.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toolTable, withToolTable } from '../../../scripts/tool-table.js';
import { allTools } from '../../../src/tools/index.js';

describe('the README tool table', () => {
  it('lists every tool with its scope, and is current (run `npm run tool-table` after changing a tool)', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    expect(withToolTable(readme)).toBe(readme);
    for (const tool of allTools) expect(toolTable()).toContain(`| \`${tool.name}\` |`);
    expect(toolTable()).toMatch(/\| `files_write_text` \| `files\.write` \|/);
  });
});

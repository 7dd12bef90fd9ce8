// Clients read each tool's outputSchema, and some hosts' schema converters reject null types (the MCP Inspector
// warns on each). Absent values are left out of the structured result instead, so no output schema may allow null.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allTools } from '../../../src/tools/index.js';

/** JSON pointers (RFC 6901) of the places in a schema that allow null. */
function nullsIn(schema: unknown, pointer = ''): string[] {
  if (Array.isArray(schema)) return schema.flatMap((item, index) => nullsIn(item, `${pointer}/${index}`));
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const found: string[] = [];
  if (node.type === 'null' || (Array.isArray(node.type) && node.type.includes('null'))) found.push(`${pointer}/type`);
  if ('const' in node && node.const === null) found.push(`${pointer}/const`);
  if (Array.isArray(node.enum) && node.enum.includes(null)) found.push(`${pointer}/enum`);
  for (const [key, value] of Object.entries(node)) {
    found.push(...nullsIn(value, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`));
  }
  return found;
}

describe('tool output schemas', () => {
  it('the walker finds null wherever JSON Schema can say it', () => {
    const schema = z.toJSONSchema(
      z.object({ a: z.string().nullable(), b: z.enum(['x']).nullable(), c: z.object({ 'd/e': z.null() }), f: z.literal(null) }),
      { target: 'draft-7', io: 'output' },
    );
    expect(nullsIn(schema).sort()).toEqual([
      '/properties/a/type',
      '/properties/b/anyOf/1/type',
      '/properties/c/properties/d~1e/type',
      '/properties/f/const',
      '/properties/f/type',
    ]);
    expect(nullsIn(z.toJSONSchema(z.object({ a: z.string().optional() }), { target: 'draft-7', io: 'output' }))).toEqual([]);
  });

  it('never allow null: absent values are left out instead', () => {
    const offending = allTools.flatMap((tool) =>
      nullsIn(z.toJSONSchema(tool.output, { target: 'draft-7', io: 'output' })).map((pointer) => `${tool.name} ${pointer}`),
    );
    expect(offending).toEqual([]);
  });
});

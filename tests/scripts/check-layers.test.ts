// The layer check refuses what breaks the house and passes the tree as it is.
import { describe, expect, it } from 'vitest';
import { importEdges, violation } from '../../scripts/check-layers.js';

describe('layer check', () => {
  it('refuses an import that runs upward, one between rooms on the same floor, and shipped code importing tests', () => {
    expect(violation({ from: 'src/tools', to: 'src/oauth', files: ['src/tools/tool.ts'] })).toMatch(/src\/oauth stands above src\/tools/);
    expect(violation({ from: 'src/store', to: 'src/policy', files: ['src/store/sqlite-oauth-store.ts'] })).toMatch(/same floor/);
    expect(violation({ from: 'lib', to: 'src/core', files: ['lib/http.ts'] })).toMatch(/stands above lib/);
    expect(violation({ from: 'scripts', to: 'tests', files: ['scripts/json-info.ts'] })).toMatch(/json-info\.ts ships/);
    expect(violation({ from: 'src/nowhere', to: 'lib', files: ['src/nowhere/x.ts'] })).toMatch(/has no floor/);
  });

  it('lets imports run downward, and tests, benchmarks and the demo use any room', () => {
    expect(violation({ from: 'src/oauth', to: 'src/core', files: ['src/oauth/token.ts'] })).toBeNull();
    expect(violation({ from: 'tests', to: 'src/server', files: ['tests/support/in-process-app.ts'] })).toBeNull();
    expect(violation({ from: 'scripts', to: 'tests', files: ['scripts/demo.ts'] })).toBeNull();
  });

  it('finds no upward import in the tree', () => {
    const edges = importEdges();
    expect(edges.length).toBeGreaterThan(20);
    expect(edges.flatMap((edge) => (violation(edge) ? [`${edge.from} -> ${edge.to}`] : []))).toEqual([]);
  });
});

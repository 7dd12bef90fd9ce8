// The GitHub workflows cannot run here; what can be checked offline is that they parse and that they do what the
// README promises: CI runs .ci/run, a version tag builds the image for both architectures under the name
// appinfo/info.xml gives AppAPI, and publishes the archive of `make release`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; needs?: string | string[]; permissions?: Record<string, string> }>;
}

const workflow = (name: string) => parse(fs.readFileSync(path.join(root, '.github', 'workflows', name), 'utf8')) as Workflow;
const steps = (flow: Workflow) => Object.values(flow.jobs).flatMap((job) => job.steps);

describe('GitHub workflows', () => {
  it('CI runs .ci/run on pushes and pull requests', () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(steps(ci).some((step) => step.run?.trim() === 'bash .ci/run')).toBe(true);
  });

  it('a version tag pushes the image AppAPI pulls, for amd64 and arm64, and publishes the store archive', () => {
    const release = workflow('release.yml');
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
    const build = steps(release).find((step) => step.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with).toMatchObject({ platforms: 'linux/amd64,linux/arm64', push: true });
    const xml = fs.readFileSync(path.join(root, 'appinfo', 'info.xml'), 'utf8');
    const [registry, image] = ['registry', 'image'].map((tag) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)![1]);
    // The workflow pushes ghcr.io/<owner>/mcp_gateway and refuses to run when info.xml names anything else.
    expect(`${registry}/${image}`).toMatch(/^ghcr\.io\/[a-z0-9-]+\/mcp_gateway$/);
    const check = steps(release)
      .map((step) => step.run ?? '')
      .join('\n');
    expect(check).toContain('pushed="ghcr.io/$owner/mcp_gateway"');
    expect(check).toContain('[ "$registry/$image" = "$pushed" ]');
    expect(check).toContain('[ "$image_tag" = "$version" ]');
    expect(steps(release).some((step) => step.run?.trim() === 'make release')).toBe(true);
    const jobs = Object.values(release.jobs);
    expect(jobs.some((job) => job.permissions?.packages === 'write')).toBe(true);
  });
});

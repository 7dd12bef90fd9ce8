// holdRequests: matching requests wait until released; others pass at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

describe('holding requests', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ dav: false });
  });
  afterAll(() => sim?.stop());

  it('keeps a matching request waiting until release, and lets others through meanwhile', async () => {
    const hold = sim.holdRequests((method, path) => method === 'GET' && path === '/status.php');
    let answered = false;
    const held = fetch(`${sim.url}/status.php`).then((response) => ((answered = true), response));
    await hold.reached();
    expect(hold.held).toBe(1);
    expect((await fetch(`${sim.url}/index.php/login`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    hold.release();
    expect(((await (await held).json()) as { installed: boolean }).installed).toBe(true);
    // Released for good: later matches pass.
    expect((await fetch(`${sim.url}/status.php`)).status).toBe(200);
    expect(hold.held).toBe(1);
  });
});

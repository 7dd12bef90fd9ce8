import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // Each file starts its own simulator (and PHP backend); two cores run two files at a time.
    maxWorkers: 2,
    // A worker keeps the modules it imported for the next file instead of importing the SDK, fastify and the app
    // again for each of ~90 files (about a fifth of the suite's time). Files share no state through them: each
    // builds its own app, simulator and store, and puts back what it patches (fake timers, spies, prototypes).
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

// Lint rules for the whole project: ESLint's and typescript-eslint's recommended sets, without type information
// (the type checker runs on its own, `npm run typecheck`), so linting stays a matter of seconds.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.demo-data/', 'test-artifacts/', 'tests/nextcloud-sim/dav/vendor/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Checking input for control characters is deliberate wherever a regular expression names them.
      'no-control-regex': 'off',
      // A variable a closure reads before it is first assigned (a server's handler, its provider) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // An unused argument often names what a callback receives; a leading underscore says it is unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read answers as the JSON they are; typing every shape there would restate what the code under test declares.
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

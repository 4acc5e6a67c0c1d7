// Lint config. The pure core (shared/, agent/planner) must not do I/O: that is enforced here so
// that a stray import of fs, dockerode or isomorphic-git fails CI instead of slipping in.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['node:fs', 'fs', 'node:fs/promises', 'fs/promises', 'dockerode', 'isomorphic-git',
  'node:http', 'http', 'node:net', 'net', 'node:child_process', 'child_process', 'undici'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**', '.test-tmp/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    // The CLI prints results (not logs) to stdout; tests and benches print freely.
    files: ['agent/cli/**', 'test/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['shared/**/*.ts', 'agent/planner.ts', 'agent/planner/**/*.ts'],
    ignores: ['shared/**/*-file.ts', 'shared/**/files.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioModules.map((name) => ({ name, message: 'shared/ and the planner are pure: do I/O in agent/ adapters.' })) }],
    },
  },
  {
    // One git adapter: isomorphic-git's workarounds (HEAD look-up, fresh headers, pack cache) are
    // written once, in agent/git/.
    // (shared/ and the planner already refuse it with every other I/O module above; a second
    // no-restricted-imports entry for them would replace that list.)
    files: ['agent/**/*.ts'],
    ignores: ['agent/git/**', 'agent/planner.ts', 'agent/planner/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['isomorphic-git', 'isomorphic-git/http/node'].map((name) => ({ name, message: 'isomorphic-git is used through agent/git/bare-repo.ts only.' })) }],
    },
  },
);

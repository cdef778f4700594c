// Lint: typescript-eslint's strict, type-aware rules, and the architecture's import boundaries.
// Formatting is Prettier's alone (eslint-config-prettier turns off the rules it owns).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * Node modules that do I/O: the domain reaches the outside world only through ports
 * (`node:net`'s address parsing is pure).
 */
/** zod itself, for code bundled into functions: they import functions/shared/zod.ts. */
const ZOD_IMPORTS = {
  regex: '^zod(/.*)?$',
  message:
    "Import zod through functions/shared/zod.ts (zod/mini, tree-shaken), as `import * as z from '../shared/zod'`.",
};
const IO_MODULES = [
  'fs',
  'fs/promises',
  'dns',
  'dns/promises',
  'tls',
  'http',
  'https',
  'http2',
  'child_process',
  'worker_threads',
  'dgram',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.twin/', 'docs/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Numbers and booleans read naturally in messages; objects and nullish values still need a decision.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests read a found item with `!` and throw-away mocks are loosely typed; the assertions check them.
    files: ['test/**', 'bench/**', 'chaos/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['functions/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js', '.mjs'] } },
      'boundaries/elements': [
        { type: 'domain', pattern: 'functions/domain/**' },
        { type: 'api', pattern: 'functions/api/**' },
        { type: 'adapters', pattern: 'functions/adapters/**' },
        { type: 'composition', pattern: 'functions/composition/**' },
        { type: 'handlers', pattern: 'functions/handlers/**' },
        { type: 'shared', pattern: 'functions/shared/**' },
        // Plain data that Lambda code, the CDK constructs and the twin all read: the topology, IAM,
        // lake partitioning and gateway responses.
        { type: 'declaration', pattern: 'functions/declaration/**' },
        // The rest of lib/ (CDK), the twin and the tests: Lambda code imports none of them.
        { type: 'infrastructure', pattern: 'lib' },
        { type: 'twin', pattern: 'local' },
        { type: 'tests', pattern: 'test' },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            {
              from: { element: { type: 'domain' } },
              allow: { to: { element: { types: { anyOf: ['domain', 'shared', 'declaration'] } } } },
            },
            {
              from: { element: { type: 'api' } },
              allow: { to: { element: { types: { anyOf: ['api', 'domain', 'shared', 'declaration'] } } } },
            },
            {
              from: { element: { type: 'adapters' } },
              allow: { to: { element: { types: { anyOf: ['adapters', 'domain', 'shared', 'declaration'] } } } },
            },
            {
              from: { element: { type: 'composition' } },
              allow: { to: { element: { types: { anyOf: ['adapters', 'api', 'domain', 'shared', 'declaration'] } } } },
            },
            {
              from: { element: { type: 'handlers' } },
              allow: { to: { element: { types: { anyOf: ['composition', 'api', 'shared'] } } } },
            },
            {
              from: { element: { type: 'shared' } },
              allow: { to: { element: { types: { anyOf: ['shared', 'declaration'] } } } },
            },
            {
              from: { element: { type: 'declaration' } },
              allow: { to: { element: { types: { anyOf: ['declaration', 'shared'] } } } },
            },
            { allow: { to: { module: { origin: 'external' } } } },
            { allow: { to: { module: { origin: 'core' } } } },
          ],
        },
      ],
    },
  },
  {
    // Functions validate through functions/shared/zod.ts (zod/mini, tree-shaken): the classic API would put all of
    // zod back into every bundle.
    files: ['functions/**/*.ts'],
    ignores: ['functions/domain/**', 'functions/shared/zod.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ZOD_IMPORTS] }] },
  },
  {
    files: ['functions/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: IO_MODULES.flatMap((name) => [`node:${name}`, name]).map((name) => ({
            name,
            message: 'The domain does no I/O: put it behind a port.',
          })),
          patterns: [
            {
              group: ['@aws-sdk/*', '@aws-lambda-powertools/*'],
              message: 'The domain knows no AWS SDK: adapters translate.',
            },
            { group: ['aws-lambda'], message: 'The domain knows no Lambda types: handlers and adapters translate.' },
            ZOD_IMPORTS,
          ],
        },
      ],
    },
  },
  prettier,
  {
    // Prettier wraps code at 120 but leaves comments, strings and templates as written: they stay within 120 too.
    rules: { 'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }] },
  },
);

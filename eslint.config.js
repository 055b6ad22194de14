// Lint: correctness rules only (formatting is prettier's job). `npm run lint` runs both; CI runs it before the tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'build/**', 'test/scratch/**', 'renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'].map((c) => ({ ...c, files: c.files ?? ['**/*.svelte', '**/*.svelte.ts'] })),
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // A hook declared before the value it cleans up reads it before assignment: that `let` is right.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Name rules match control characters on purpose (a name holding one is refused).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    rules: {
      // `let { a, b }: Props = $props()` is how Svelte 5 declares props (bindable ones are reassigned).
      'prefer-const': 'off',
      // Shared state here is $state.raw, replaced whole; a plain Set or Map in a script is bookkeeping no markup reads.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    // nephele's XML hooks are typed `any` upstream; our overrides keep its signatures.
    files: ['core/server/dav/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

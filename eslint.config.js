// Lint: typescript-eslint with type information, so floating promises (a missing `await` on a
// Playwright call or an expect) are errors; and the dependency direction of ARCHITECTURE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noPlaywrightInSrc = {
  patterns: [
    {
      group: ['@playwright/test', '@playwright/test/*'],
      message: 'src/ never imports @playwright/test (ARCHITECTURE.md: Playwright stays at the edges)',
    },
    {
      group: ['**/fixtures/**', '**/reporters/**', '**/suites/**', '**/examples/**'],
      message: 'src/ does not depend on fixtures/, reporters/, suites/ or examples/',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'preflight-report/**',
      'test-results/**',
      'playwright-report/**',
      // CI glue (plain CommonJS run by .ci/run), outside the TypeScript project.
      '.ci/**',
      '**/*.js',
      '!eslint.config.js',
      'bin/**',
      'dist/**',
      '**/.next/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-empty-pattern': 'off',
    },
  },
  { files: ['src/**/*.ts'], rules: { 'no-restricted-imports': ['error', noPlaywrightInSrc] } },
  {
    files: ['suites/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/reporters/**', '**/examples/**'],
              message: 'suites depend on fixtures and src only',
            },
          ],
        },
      ],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);

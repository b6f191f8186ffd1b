import js from '@eslint/js';
import jest from 'eslint-plugin-jest';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', '.test-data/**', '*.config.js', '.dependency-cruiser.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'No focused tests (.only) may be committed.' },
      ],
    },
  },
  {
    // the web app runs in the browser and speaks only the public HTTP API
    files: ['apps/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@app/*', '**/libs/**', '**/config/**'], message: 'The web app speaks only the public API, never server code.' }] }],
      // every string the app shows is translated (src/locales, zh-CN and en): none written into the markup
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'No focused tests (.only) may be committed.' },
        {
          // code samples (<code>, <pre>: a CSV header) are meant literally
          selector: 'JSXText[value=/[A-Za-z\\u3400-\\u9fff]/]:not(JSXElement[openingElement.name.name=/^(code|pre)$/] > JSXText)',
          message: 'Text in JSX is not translated: put it in src/locales (zh-CN and en) and show t(key).',
        },
        {
          selector: 'JSXAttribute[name.name=/^(aria-label|title|placeholder|alt)$/] > Literal[value=/[A-Za-z\\u3400-\\u9fff]/]',
          message: 'A label written into the markup is not translated: put it in src/locales (zh-CN and en) and pass t(key).',
        },
      ],
    },
  },
  {
    // process.env is read in one place only: config/load-config.ts
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'config/**/*.ts'],
    ignores: ['config/load-config.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through AppConfig (config/), never process.env.' },
      ],
    },
  },
  {
    // libs throw DomainError subclasses; HttpException belongs to the HTTP layer in libs/common
    files: ['libs/**/*.ts'],
    ignores: ['libs/common/src/http/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@nestjs/common',
              importNames: [
                'HttpException',
                'BadRequestException',
                'UnauthorizedException',
                'ForbiddenException',
                'NotFoundException',
                'ConflictException',
                'UnprocessableEntityException',
                'InternalServerErrorException',
              ],
              message: 'Libs throw DomainError subclasses (@app/common), never HttpException.',
            },
            {
              name: 'class-validator',
              importNames: ['IsOptional'],
              message: 'Use @OptionalField() (@app/common): an optional field may be left out, never null.',
            },
          ],
          patterns: [{ group: ['../../*/src/*', '../../../libs/*'], message: 'Import another lib through its @app/<lib> alias.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    plugins: { jest },
    rules: {
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/valid-expect': ['error', { alwaysAwait: true }],
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expectError', 'fc.assert'] }],
      'jest/no-standalone-expect': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
);

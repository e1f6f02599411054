// Lints the extension client, its tests and the end-to-end scripts (`npm run lint`, no warnings).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    {
        ignores: [
            'out/**',
            'extension/dist/**',
            'extension/bundled/**',
            'node_modules/**',
            'test-results/**',
            'server/**',
        ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ['**/*.ts'],
        rules: {
            // The vscode API and JSON-RPC payloads are typed `any` at their edges.
            '@typescript-eslint/no-explicit-any': 'off',
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
            eqeqeq: ['error', 'always'],
            curly: 'error',
        },
    },
    {
        files: ['**/*.mjs', '**/*.js'],
        languageOptions: {
            globals: {
                process: 'readonly',
                console: 'readonly',
                setTimeout: 'readonly',
                clearTimeout: 'readonly',
                Buffer: 'readonly',
                URL: 'readonly',
                fetch: 'readonly',
                // Functions passed to page.waitForFunction run in the browser.
                document: 'readonly',
            },
        },
    },
);

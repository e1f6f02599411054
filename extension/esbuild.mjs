// Bundles the extension client into one file (extension/dist/extension.js) so the VSIX ships no
// node_modules. `vscode` is provided by the editor at run time.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const options = {
    entryPoints: ['extension/src/extension.ts'],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: 'extension/dist/extension.js',
    external: ['vscode'],
    // jsonc-parser's UMD build requires its modules dynamically; its ES module build bundles.
    mainFields: ['module', 'main'],
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
};

if (watch) {
    const context = await esbuild.context(options);
    await context.watch();
} else {
    await esbuild.build(options);
}

// Checks a built VSIX holds what the extension needs at run time and nothing it should not:
// the bundled client, the amldebug package, pygls and the other bundled libraries, the schema,
// and no node_modules or TypeScript sources. Exits non-zero naming what is wrong.
import { execFileSync } from 'child_process';

export function vsixProblems(entries) {
    const has = (prefix) => entries.some((entry) => entry.startsWith(prefix));
    const problems = [];
    const required = [
        'extension/package.json',
        'extension/extension/dist/extension.js',
        'extension/extension/schemas/conda-environment.schema.json',
        'extension/extension/bundled/tool/amldebug/__main__.py',
        'extension/extension/bundled/tool/amldebug/lsp/server.py',
        'extension/extension/bundled/libs/pygls/',
        'extension/extension/bundled/libs/lsprotocol/',
        'extension/extension/bundled/libs/yaml/',
        'extension/extension/bundled/libs/docker/',
    ];
    for (const prefix of required) {
        if (!has(prefix)) {
            problems.push(`missing ${prefix}`);
        }
    }
    const forbidden = [
        [/(^|\/)node_modules\//, 'node_modules'],
        [/^extension\/extension\/src\//, 'TypeScript sources'],
        [/__pycache__\//, '__pycache__'],
        [/^extension\/(server|tests|examples)\//, 'repository folders'],
    ];
    for (const [pattern, what] of forbidden) {
        const offenders = entries.filter((entry) => pattern.test(entry));
        if (offenders.length > 0) {
            problems.push(`${what} packaged (${offenders.length} files, e.g. ${offenders[0]})`);
        }
    }
    return problems;
}

if (process.argv[1] && process.argv[1].endsWith('verify-vsix.mjs')) {
    const vsix = process.argv[2] ?? 'amldebug.vsix';
    const listing = execFileSync('python3', [
        '-c',
        'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))',
        vsix,
    ]).toString('utf8');
    const entries = listing.split('\n').filter(Boolean);
    const problems = vsixProblems(entries);
    if (problems.length > 0) {
        console.error(`${vsix}: ${problems.join('; ')}`);
        process.exit(1);
    }
    console.log(
        `${vsix}: ${entries.length} files; client bundle, amldebug, pygls present; no node_modules`,
    );
}

// Writes extension/src/generated/ (the TypeScript types and JSON schema of the executeCommand
// contract) from the server's dataclasses: `python -m amldebug.lsp.contract.generate`, with the
// repository's server/ on PYTHONPATH. Needs Python >= 3.10 only (the contract imports no
// third-party package). `--check` exits 1 when the committed files are stale.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = process.env.PYTHON ?? 'python3';
const pythonPath = [path.join(root, 'server'), process.env.PYTHONPATH].filter(Boolean);
const result = spawnSync(
    python,
    ['-m', 'amldebug.lsp.contract.generate', '--root', root, ...process.argv.slice(2)],
    {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, PYTHONPATH: pythonPath.join(path.delimiter) },
    },
);
if (result.error) {
    console.error(`cannot run ${python}: ${result.error.message} (set PYTHON to a Python >= 3.10)`);
}
process.exit(result.status ?? 1);

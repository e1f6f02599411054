// Fills extension/bundled/: tool/amldebug (a copy of server/amldebug) and libs/ (the server's
// third-party libraries), so the VSIX runs the server with any Python >= 3.10 and no pip at start.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const bundled = path.join(root, 'extension', 'bundled');
const libs = path.join(bundled, 'libs');
const tool = path.join(bundled, 'tool');
const python = process.env.PYTHON ?? 'python3';

fs.rmSync(bundled, { recursive: true, force: true });
fs.mkdirSync(libs, { recursive: true });
fs.cpSync(path.join(root, 'server', 'amldebug'), path.join(tool, 'amldebug'), {
    recursive: true,
    filter: (source) => !source.includes('__pycache__') && !source.endsWith('.pyc'),
});

const pip = (args) =>
    execFileSync(
        python,
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-compile', ...args],
        { stdio: 'inherit' },
    );

// Universal wheels only, whatever the building machine is.
pip([
    '--target',
    libs,
    '--no-deps',
    '--implementation',
    'py',
    '--platform',
    'any',
    '--python-version',
    '3.10',
    '--only-binary=:all:',
    '-r',
    path.join(root, 'extension', 'requirements.txt'),
]);
// PyYAML publishes no universal wheel. Its `yaml` package is pure Python and only uses the
// compiled `_yaml` speed-up when it imports, so one platform wheel works on every interpreter.
pip(['--target', libs, '--no-deps', '--only-binary=:all:', 'PyYAML==6.0.3']);

for (const entry of fs.readdirSync(libs)) {
    if (entry === 'bin' || entry === '__pycache__') {
        fs.rmSync(path.join(libs, entry), { recursive: true, force: true });
    }
}
console.log(`bundled amldebug and ${fs.readdirSync(libs).length} library entries into ${bundled}`);

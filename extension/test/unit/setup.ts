// Loaded by mocha before the tests (package.json "mocha.require"): resolves `vscode` to the fake.
// vscode-languageclient subclasses many vscode classes at load time; names the fake does not
// define resolve to an empty class, which is enough because the tests never construct them.
import Module from 'module';
import * as path from 'path';

const fakePath = path.join(__dirname, 'fakeVscode.js');
const moduleWithResolver = Module as unknown as {
    _resolveFilename(request: string, ...rest: unknown[]): string;
};
const original = moduleWithResolver._resolveFilename;
moduleWithResolver._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === 'vscode' ? fakePath : original.call(this, request, ...rest);
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fake = require(fakePath) as Record<string | symbol, unknown>;
const placeholders = new Map<string | symbol, unknown>();
const cached = require.cache[fakePath];
if (cached) {
    cached.exports = new Proxy(fake, {
        get(target, key) {
            if (key in target) {
                return target[key];
            }
            if (!placeholders.has(key)) {
                placeholders.set(key, class {});
            }
            return placeholders.get(key);
        },
    });
}

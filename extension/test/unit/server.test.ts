import * as assert from 'assert';
import * as path from 'path';
import { chooseInterpreter } from '../../src/common/python';
import {
    cliLaunchFrom,
    initializationOptions,
    normaliseResult,
    RestartBudget,
    serverLaunch,
    serverPythonPath,
} from '../../src/common/server';
import { DEFAULT_SETTINGS } from '../../src/common/settings';

describe('language server launch', () => {
    const root = path.join(path.sep, 'ext');
    const bundledTool = path.join(root, 'extension', 'bundled', 'tool');
    const bundledLibs = path.join(root, 'extension', 'bundled', 'libs');

    it('runs `python -m amldebug lsp` with the bundled package and libraries first on PYTHONPATH', () => {
        const launch = serverLaunch(
            { command: ['/usr/bin/python3'], source: 'fallback' },
            [bundledTool, bundledLibs],
            { PYTHONPATH: '/user/path', HOME: '/root' },
        );
        assert.strictEqual(launch.command, '/usr/bin/python3');
        assert.deepStrictEqual(launch.args, ['-m', 'amldebug', 'lsp']);
        assert.strictEqual(
            launch.env.PYTHONPATH,
            [bundledTool, bundledLibs, '/user/path'].join(path.delimiter),
        );
        assert.strictEqual(launch.env.HOME, '/root');
    });

    it('accepts the amldebug console script as the interpreter setting', () => {
        const launch = serverLaunch({ command: ['/venv/bin/amldebug'], source: 'setting' }, [], {});
        assert.deepStrictEqual(launch.args, ['lsp']);
        assert.deepStrictEqual(cliLaunchFrom(launch).args, []);
    });

    it('keeps interpreter arguments and drops `lsp` for CLI verbs', () => {
        const launch = serverLaunch(
            { command: ['conda', 'run', '-n', 'aml', 'python'], source: 'setting' },
            [],
            {},
        );
        assert.strictEqual(launch.command, 'conda');
        assert.deepStrictEqual(launch.args, [
            'run',
            '-n',
            'aml',
            'python',
            '-m',
            'amldebug',
            'lsp',
        ]);
        assert.deepStrictEqual(cliLaunchFrom(launch).args.slice(-2), ['-m', 'amldebug']);
    });

    it('starts the server under debugpy when the development launch configuration asks', () => {
        const launch = serverLaunch({ command: ['python3'], source: 'fallback' }, [], {
            AMLDEBUG_DEBUG_SERVER_PORT: '5679',
        });
        assert.deepStrictEqual(launch.args, [
            '-m',
            'debugpy',
            '--listen',
            '127.0.0.1:5679',
            '-m',
            'amldebug',
            'lsp',
        ]);
        assert.deepStrictEqual(cliLaunchFrom(launch).args, ['-m', 'amldebug']);
    });

    it('prefers the packaged server and falls back to the source tree in a checkout', () => {
        const packaged = new Set([path.join(bundledTool, 'amldebug'), bundledLibs]);
        assert.deepStrictEqual(
            serverPythonPath(root, (p) => packaged.has(p)),
            [bundledTool, bundledLibs],
        );
        const checkout = new Set([path.join(root, 'server', 'amldebug')]);
        assert.deepStrictEqual(
            serverPythonPath(root, (p) => checkout.has(p)),
            [path.join(root, 'server')],
        );
    });

    it('tells the server whether the workspace is trusted, with the settings', () => {
        const options = initializationOptions({ ...DEFAULT_SETTINGS, select: ['AML2'] }, false);
        assert.strictEqual(options.trusted, false);
        assert.deepStrictEqual(options.settings.select, ['AML2']);
        assert.strictEqual(options.settings.entryScript, '');
    });
});

describe('interpreter choice', () => {
    it('uses the setting first, then the Python extension, then python3', () => {
        assert.deepStrictEqual(chooseInterpreter(['/opt/py/bin/python'], '/env/bin/python'), {
            command: ['/opt/py/bin/python'],
            source: 'setting',
        });
        assert.deepStrictEqual(chooseInterpreter([], '/env/bin/python'), {
            command: ['/env/bin/python'],
            source: 'python-extension',
        });
        assert.strictEqual(chooseInterpreter(['  '], undefined).source, 'fallback');
    });
});

describe('restart budget', () => {
    it('allows five restarts in three minutes, then refuses, and forgets old crashes', () => {
        let now = 0;
        const budget = new RestartBudget(5, 180_000, () => now);
        const attempts = [1, 2, 3, 4, 5, 6].map(() => budget.recordCrash());
        assert.deepStrictEqual(attempts, [1, 2, 3, 4, 5, undefined]);
        now = 200_000;
        assert.strictEqual(budget.recordCrash(), 1);
    });
});

describe('engine results', () => {
    it('passes results with `ok` through and flags empty answers as failures', () => {
        assert.deepStrictEqual(normaliseResult({ ok: true, image: 'debug:1' }), {
            ok: true,
            image: 'debug:1',
        });
        const empty = normaliseResult(undefined);
        assert.ok(!empty.ok && /no result/.test(empty.error));
        const withoutOk = normaliseResult({ image: 'debug:1' });
        assert.ok(!withoutOk.ok && /without `ok`/.test(withoutOk.error));
    });
});

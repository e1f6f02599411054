import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as sinon from 'sinon';
import {
    debugInContainer,
    generateLaunchConfig,
    sendTestRequest,
    stopContainer,
    syncFromContainer,
} from '../../src/commands/debugLoop';
import type { CommandName } from '../../src/generated/contract';
import * as api from '../../src/common/vscodeapi';
import { NO_CONTAINER, type ContainerState } from '../../src/containerState';
import type { Services } from '../../src/services';
import { Uri, type WorkspaceEdit } from './fakeVscode';

const WORKSPACE = Uri.file('/work/project');
const FOLDER = { uri: WORKSPACE, name: 'project', index: 0 };

function channel() {
    return {
        append: sinon.stub(),
        appendLine: sinon.stub(),
        clear: sinon.stub(),
        show: sinon.stub(),
        info: sinon.stub(),
        warn: sinon.stub(),
        error: sinon.stub(),
    };
}

/** Answers by command (fixtures may leave out fields a test does not read). */
type Answers = Partial<Record<CommandName, object>>;

/**
 * A fake server: `results` answer the commands; `notified` is the amldebug/containerState a
 * command sends before its answer (the real server writes its answer after its notifications).
 */
function fakeServices(
    results: Answers,
    notified: Partial<Record<CommandName, ContainerState>> = {},
) {
    const calls: { command: string; options: Record<string, unknown> }[] = [];
    const states: ContainerState[] = [];
    let current: ContainerState = NO_CONTAINER;
    const services = {
        server: {
            executeEngineCommand: async (
                command: CommandName,
                options: Record<string, unknown>,
            ) => {
                calls.push({ command, options });
                const state = notified[command];
                if (state) {
                    services.container.update(state);
                }
                return results[command] ?? { ok: false, error: `unexpected ${command}` };
            },
            restart: async () => undefined,
        },
        channels: { client: channel(), server: channel(), build: channel(), container: channel() },
        container: {
            get state() {
                return current;
            },
            update(state: ContainerState) {
                current = { ...current, ...state };
                states.push(state);
            },
        },
        cliLaunch: async () => ({ command: 'python3', args: ['-m', 'amldebug'], env: {} }),
    } as unknown as Services;
    return { services, calls, states };
}

function stubEditorBasics(trusted = true) {
    sinon.stub(api, 'isWorkspaceTrusted').returns(trusted);
    sinon.stub(api, 'getActiveTextEditor').returns(undefined);
    sinon.stub(api, 'getWorkspaceFolders').returns([FOLDER as any]);
    sinon.stub(api, 'getWorkspaceFolder').returns(FOLDER as any);
    sinon.stub(api, 'getConfiguration').returns({
        get: (_key: string, fallback: unknown) => fallback,
    } as any);
    sinon.stub(api, 'asRelativePath').callsFake((target: any) => String(target.path ?? target));
    sinon
        .stub(api, 'withProgress')
        .callsFake((_options, task) =>
            task({ report: () => undefined }, { isCancellationRequested: false } as any),
        );
}

const LAUNCH_TEXT =
    '{"version": "0.2.0", "configurations": [{"name": "Azure ML: Attach", "type": "debugpy", ' +
    '"request": "attach", "connect": {"host": "127.0.0.1", "port": 5678}, ' +
    '"pathMappings": [{"localRoot": "${workspaceFolder}", "remoteRoot": "/var/azureml-app"}]}]}\n';

describe('debug-loop commands', () => {
    afterEach(() => sinon.restore());

    it("in Restricted Mode the server's refusal is explained, with the way to trust", async () => {
        stubEditorBasics(false);
        sinon.stub(api, 'getExtension').returns({ id: 'ms-python.debugpy' } as any);
        const warning = sinon.stub(api, 'showWarningMessage').resolves(undefined);
        const refused = { ok: false, untrusted: true, error: 'The workspace is not trusted.' };
        const { services, calls } = fakeServices({
            'amldebug.up': refused,
            'amldebug.stop': refused,
        });

        assert.strictEqual(await debugInContainer(services), false);
        await stopContainer(services);

        // The server decides; the client sends no `trusted` of its own.
        assert.deepStrictEqual(
            calls.map((c) => [c.command, 'trusted' in c.options]),
            [
                ['amldebug.up', false],
                ['amldebug.stop', false],
            ],
        );
        assert.match(String(warning.firstCall.args[0]), /Debug in Container runs Docker/);
        assert.match(String(warning.firstCall.args[0]), /Restricted Mode/);
        assert.strictEqual(warning.firstCall.args[1], 'Manage Workspace Trust');
        assert.match(String(warning.secondCall.args[0]), /Stop Debug Container runs Docker/);
    });

    it('debugInContainer runs `up`, writes launch.json through the editor and attaches', async () => {
        stubEditorBasics();
        sinon.stub(api, 'getExtension').returns({ id: 'ms-python.debugpy' } as any);
        sinon.stub(api, 'fileExists').callsFake(async () => false);
        sinon.stub(api, 'openTextDocument').resolves({
            getText: () => LAUNCH_TEXT,
            positionAt: () => ({ line: 0, character: 0 }),
            save: async () => true,
        } as any);
        const applyEdit = sinon.stub(api, 'applyEdit').resolves(true);
        const startDebugging = sinon.stub(api, 'startDebugging').resolves(true);
        const ready: ContainerState = {
            state: 'ready',
            name: 'amldebug-project',
            port: 8000,
            debugPort: 5678,
            runtime: 'docker',
        };
        const { services, calls, states } = fakeServices(
            {
                'amldebug.up': {
                    ok: true,
                    name: 'amldebug-project',
                    port: 8000,
                    debugPort: 5678,
                    runtime: 'docker',
                    launchConfigEdit: {
                        ok: true,
                        path: '/work/project/.vscode/launch.json',
                        created: true,
                        text: LAUNCH_TEXT,
                    },
                },
            },
            { 'amldebug.up': ready },
        );

        assert.strictEqual(await debugInContainer(services), true);

        // `up` computes launch.json without writing it; the client applies it as one edit.
        assert.deepStrictEqual(
            calls.map((c) => c.command),
            ['amldebug.up'],
        );
        const up = calls[0].options;
        assert.strictEqual(up.folder, WORKSPACE.fsPath);
        assert.ok(!('trusted' in up)); // trust is the server's to know
        assert.strictEqual(up.bind, '127.0.0.1');
        assert.strictEqual(up.writeLaunchConfig, false);
        assert.ok(applyEdit.calledOnce);
        const edit = applyEdit.firstCall.args[0] as unknown as WorkspaceEdit;
        assert.deepStrictEqual(
            edit.operations.map((o) => [o.kind, o.uri.fsPath]),
            [
                ['createFile', '/work/project/.vscode/launch.json'],
                ['insert', '/work/project/.vscode/launch.json'],
            ],
        );
        const insert = edit.operations[1];
        assert.ok(insert.kind === 'insert' && insert.text === LAUNCH_TEXT);
        assert.deepStrictEqual(
            states.map((s) => s.state),
            ['building', 'ready'],
        );
        assert.strictEqual(services.container.state.name, 'amldebug-project');
        const configuration = startDebugging.firstCall.args[1];
        assert.strictEqual(configuration.request, 'attach');
        assert.deepStrictEqual(configuration.connect, { host: '127.0.0.1', port: 5678 });
    });

    it('debugInContainer asks amldebug.launchConfig when `up` sent no launch.json edit', async () => {
        stubEditorBasics();
        sinon.stub(api, 'getExtension').returns({ id: 'ms-python.debugpy' } as any);
        sinon.stub(api, 'fileExists').callsFake(async () => false);
        sinon.stub(api, 'openTextDocument').resolves({
            getText: () => LAUNCH_TEXT,
            positionAt: () => ({ line: 0, character: 0 }),
            save: async () => true,
        } as any);
        const applyEdit = sinon.stub(api, 'applyEdit').resolves(true);
        sinon.stub(api, 'startDebugging').resolves(true);
        const { services, calls } = fakeServices({
            'amldebug.up': { ok: true, name: 'amldebug-project', port: 8000, debugPort: 5678 },
            'amldebug.launchConfig': {
                ok: true,
                path: '/work/project/.vscode/launch.json',
                text: LAUNCH_TEXT,
            },
        });

        assert.strictEqual(await debugInContainer(services), true);

        assert.deepStrictEqual(
            calls.map((c) => c.command),
            ['amldebug.up', 'amldebug.launchConfig'],
        );
        assert.strictEqual(calls[1].options.write, false);
        assert.ok(applyEdit.calledOnce);
    });

    it('an init() crash opens score.py at the failing line and marks the container crashed', async () => {
        stubEditorBasics();
        sinon.stub(api, 'getExtension').returns({ id: 'ms-python.debugpy' } as any);
        const document = { uri: Uri.file('/work/project/score.py') };
        const open = sinon.stub(api, 'openTextDocument').resolves(document as any);
        const show = sinon.stub(api, 'showTextDocument').resolves(undefined as any);
        const error = sinon.stub(api, 'showErrorMessage').resolves(undefined);
        const { services, states } = fakeServices({
            'amldebug.up': {
                ok: false,
                error: 'Worker failed to boot.',
                traceback:
                    'Traceback (most recent call last):\n  File "score.py", line 12\nFileNotFoundError: model.pkl',
                file: '/work/project/score.py',
                line: 12,
            },
        });

        assert.strictEqual(await debugInContainer(services), false);

        assert.strictEqual((open.firstCall.args[0] as any).fsPath, '/work/project/score.py');
        const selection = (show.firstCall.args[1] as any).selection;
        assert.strictEqual(selection.start.line, 11);
        assert.match(
            String(error.firstCall.args[0]),
            /init\(\) at score\.py:12: FileNotFoundError: model\.pkl/,
        );
        assert.strictEqual(states[states.length - 1].state, 'crashed');
    });

    it("a build failure is reported with the server's reason and hint", async () => {
        stubEditorBasics();
        sinon.stub(api, 'getExtension').returns({ id: 'ms-python.debugpy' } as any);
        const error = sinon.stub(api, 'showErrorMessage').resolves(undefined);
        const { services } = fakeServices({
            'amldebug.up': {
                ok: false,
                error: 'pip could not find numpy==0.0.1.',
                hint: 'See conda.yml line 9.',
            },
        });

        assert.strictEqual(await debugInContainer(services), false);

        assert.strictEqual(
            error.firstCall.args[0],
            'Azure ML: Debug in Container failed: pip could not find numpy==0.0.1. See conda.yml line 9.',
        );
    });

    it('without the Python Debugger: offers it, and still attaches with our own debug type', async () => {
        stubEditorBasics();
        sinon.stub(api, 'getExtension').returns(undefined);
        const warning = sinon.stub(api, 'showWarningMessage').resolves(undefined);
        sinon.stub(api, 'fileExists').resolves(true);
        sinon.stub(api, 'readFileText').resolves(LAUNCH_TEXT);
        sinon.stub(api, 'openTextDocument').resolves({ getText: () => LAUNCH_TEXT } as any);
        const startDebugging = sinon.stub(api, 'startDebugging').resolves(true);
        const { services } = fakeServices({
            'amldebug.up': { ok: true, name: 'c', port: 8000, debugPort: 5678 },
            'amldebug.launchConfig': {
                ok: true,
                path: '/work/project/.vscode/launch.json',
                text: LAUNCH_TEXT,
            },
        });

        assert.strictEqual(await debugInContainer(services), true);

        assert.match(
            String(warning.firstCall.args[0]),
            /Python Debugger extension \(ms-python\.debugpy\)/,
        );
        assert.strictEqual(warning.firstCall.args[1], 'Install Python Debugger');
        sinon.assert.calledOnce(startDebugging);
        const configuration = startDebugging.firstCall.args[1];
        assert.strictEqual(configuration.type, 'amldebug');
        assert.deepStrictEqual(configuration.connect, { host: '127.0.0.1', port: 5678 });
    });

    it('generateLaunchConfig reports what it did in a trusted folder', async () => {
        stubEditorBasics();
        sinon.stub(api, 'fileExists').resolves(false);
        sinon.stub(api, 'openTextDocument').resolves({ save: async () => true } as any);
        sinon.stub(api, 'applyEdit').resolves(true);
        const info = sinon.stub(api, 'showInformationMessage').resolves(undefined);
        const { services, calls } = fakeServices({
            'amldebug.launchConfig': {
                ok: true,
                path: '/work/project/.vscode/launch.json',
                text: LAUNCH_TEXT,
            },
        });

        await generateLaunchConfig(services);

        assert.strictEqual(calls[0].command, 'amldebug.launchConfig');
        assert.match(
            String(info.firstCall.args[0]),
            /launch\.json created with the "attach to debug container" configuration/,
        );
    });

    it('generateLaunchConfig writes nothing when the server refuses (issue 9, item 5)', async () => {
        stubEditorBasics(false);
        const warning = sinon.stub(api, 'showWarningMessage').resolves(undefined);
        const applyEdit = sinon.stub(api, 'applyEdit').resolves(true);
        const { services, calls } = fakeServices({
            'amldebug.launchConfig': { ok: false, untrusted: true, error: 'not trusted' },
        });

        await generateLaunchConfig(services);

        assert.deepStrictEqual(
            calls.map((c) => c.command),
            ['amldebug.launchConfig'],
        );
        sinon.assert.notCalled(applyEdit);
        sinon.assert.calledOnce(warning);
        assert.match(String(warning.firstCall.args[0]), /Restricted Mode/);
    });
});

describe('Sync Edits from Container', () => {
    afterEach(() => sinon.restore());

    it('lists the changed files by path (the typed result, not "[object Object]")', async () => {
        stubEditorBasics();
        const modal = sinon.stub(api, 'showModalWarning').resolves(undefined);
        const { services } = fakeServices({
            'amldebug.sync': {
                ok: true,
                changed: [{ path: 'score.py', status: 'modified' }],
                applied: [],
                skipped: [],
                refused: [],
            },
        });

        await syncFromContainer(services);

        assert.strictEqual(modal.firstCall.args[1], 'score.py (modified)');
    });
});

describe('Send Test Request', () => {
    afterEach(() => sinon.restore());

    it("without sample-request.json, sends the server's /swagger.json sample and says so", async () => {
        stubEditorBasics();
        sinon.stub(api, 'fileExists').resolves(false);
        sinon.stub(api, 'findFiles').resolves([]);
        const info = sinon.stub(api, 'showInformationMessage').resolves(undefined);
        const { services, calls } = fakeServices({
            'amldebug.invoke': {
                ok: true,
                status: 200,
                elapsedMs: 12,
                headers: {},
                body: '{"predictions": [6.0]}',
                sampleWritten: '/work/project/sample-request.json',
            },
        });
        const documents = { show: sinon.stub().resolves() };

        await sendTestRequest(services, documents as any);

        assert.strictEqual(calls.length, 1);
        assert.strictEqual(calls[0].options.sampleFromSwagger, true);
        assert.match(
            String(info.firstCall.args[0]),
            /written from the input sample .*swagger\.json/,
        );
        sinon.assert.calledOnce(documents.show);
    });

    it('without a published sample, offers the template as before', async () => {
        stubEditorBasics();
        sinon.stub(api, 'fileExists').resolves(false);
        sinon.stub(api, 'findFiles').resolves([]);
        const info = sinon.stub(api, 'showInformationMessage').resolves(undefined);
        const { services, calls } = fakeServices({
            'amldebug.invoke': { ok: false, error: 'Nothing to send' },
        });

        await sendTestRequest(services, { show: sinon.stub() } as any);

        assert.strictEqual(calls.length, 1);
        assert.match(String(info.firstCall.args[0]), /no sample-request\.json found/);
    });
});

describe('package.json manifest', () => {
    const manifest = JSON.parse(
        fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8'),
    );

    it('contributes every command of the issue under the Azure ML category', () => {
        const expected = [
            'debugInContainer',
            'buildImage',
            'runContainer',
            'attach',
            'generateLaunchConfig',
            'sendTestRequest',
            'reload',
            'showLogs',
            'openShell',
            'commitContainer',
            'syncFromContainer',
            'stopContainer',
            'pullImage',
            'explainLog',
            'estimateReplicas',
            'restartServer',
            'showServerLogs',
        ].map((name) => `azuremlDebug.${name}`);
        const contributed = manifest.contributes.commands;
        assert.deepStrictEqual(contributed.map((c: any) => c.command).sort(), [...expected].sort());
        assert.ok(contributed.every((c: any) => c.category === 'Azure ML'));
    });

    it('installs into VS Code 1.100 and declares limited support for untrusted workspaces', () => {
        assert.strictEqual(manifest.engines.vscode, '^1.100.0');
        assert.strictEqual(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
        assert.ok(
            manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(
                'amldebug.interpreter',
            ),
        );
        assert.ok(manifest.contributes.yamlValidation[0].fileMatch.includes('conda.yml'));
    });
});

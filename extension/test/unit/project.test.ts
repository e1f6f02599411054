import * as assert from 'assert';
import * as sinon from 'sinon';
import { buildImage } from '../../src/commands/debugLoop';
import * as api from '../../src/common/vscodeapi';
import { resolveProject, targetForFile, targetOptions } from '../../src/project';
import type { Services } from '../../src/services';
import { Uri } from './fakeVscode';

// A two-folder workspace: folder a keeps its project in a/deploy and says so in its own settings
// (`amldebug.condaFile: deploy/env.yml`); folder b has no such setting.
const A = { uri: Uri.file('/ws/a'), name: 'a', index: 0 };
const B = { uri: Uri.file('/ws/b'), name: 'b', index: 1 };
const FOLDER_SETTINGS: Record<string, Record<string, unknown>> = {
    '/ws/a': { condaFile: 'deploy/env.yml', entryScript: 'deploy/serve.py' },
    '/ws/b': {},
};

function stubWorkspace(activeFile?: string) {
    sinon.stub(api, 'getWorkspaceFolders').returns([A, B] as any);
    sinon
        .stub(api, 'getWorkspaceFolder')
        .callsFake(
            (uri: any) => [A, B].find((f) => uri.fsPath.startsWith(f.uri.fsPath + '/')) as any,
        );
    sinon.stub(api, 'getConfiguration').callsFake((_section?: string, scope?: any) => {
        const values = FOLDER_SETTINGS[scope?.fsPath ?? ''] ?? {};
        return { get: (key: string, fallback: unknown) => values[key] ?? fallback } as any;
    });
    sinon
        .stub(api, 'getActiveTextEditor')
        .returns(activeFile ? ({ document: { uri: Uri.file(activeFile) } } as any) : undefined);
}

describe('project target in a multi-root workspace', () => {
    afterEach(() => sinon.restore());

    it('a project file acts on its own folder, with the workspace folder that holds it', () => {
        stubWorkspace();
        const target = targetForFile('/ws/a/deploy/score.py', A as any);
        assert.deepStrictEqual(targetOptions(target), {
            folder: '/ws/a/deploy',
            workspaceFolder: '/ws/a',
        });
    });

    it("the file a folder's entryScript setting names is a project file whatever its name", () => {
        stubWorkspace();
        assert.strictEqual(
            targetForFile('/ws/a/deploy/serve.py', A as any).projectDir,
            '/ws/a/deploy',
        );
        // The same name in folder b, whose settings name no such file: not a project file.
        assert.strictEqual(targetForFile('/ws/b/deploy/serve.py', B as any).projectDir, '/ws/b');
    });

    it("the active editor's folder decides, not the first folder, and no folder is asked for", async () => {
        stubWorkspace('/ws/b/deploy/score.py');
        const pick = sinon.stub(api, 'showQuickPick');
        const target = await resolveProject();
        assert.ok(target);
        assert.strictEqual(target.workspaceFolder.name, 'b');
        assert.strictEqual(target.projectDir, '/ws/b/deploy');
        assert.ok(pick.notCalled);
    });

    it('any other active file acts on its workspace folder; the server finds the project', async () => {
        stubWorkspace('/ws/a/README.md');
        const target = await resolveProject();
        assert.ok(target);
        assert.deepStrictEqual(targetOptions(target), {
            folder: '/ws/a',
            workspaceFolder: '/ws/a',
        });
    });

    it("Build Debug Image sends the project folder, its workspace folder and that folder's settings", async () => {
        stubWorkspace('/ws/a/deploy/score.py');
        sinon.stub(api, 'isWorkspaceTrusted').returns(true);
        sinon
            .stub(api, 'withProgress')
            .callsFake((_options, task) =>
                task({ report: () => undefined }, { isCancellationRequested: false } as any),
            );
        sinon.stub(api, 'showInformationMessage').resolves(undefined);
        const calls: Record<string, unknown>[] = [];
        const channel = { clear: () => undefined, show: () => undefined, info: () => undefined };
        const services = {
            server: {
                executeEngineCommand: async (
                    _command: string,
                    options: Record<string, unknown>,
                ) => {
                    calls.push(options);
                    return { ok: true, image: 'amldebug/debug:latest', seconds: 1.5 };
                },
            },
            channels: { client: channel, server: channel, build: channel, container: channel },
            container: { state: {}, update: () => undefined },
        } as unknown as Services;

        await buildImage(services);

        assert.strictEqual(calls.length, 1);
        assert.strictEqual(calls[0].folder, '/ws/a/deploy');
        assert.strictEqual(calls[0].workspaceFolder, '/ws/a');
        assert.strictEqual(calls[0].condaFile, 'deploy/env.yml'); // relative to /ws/a, not /ws/a/deploy
    });
});

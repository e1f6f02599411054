import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as sinon from 'sinon';
import * as api from '../../src/common/vscodeapi';
import {
    defaultAttachConfiguration,
    findAttachConfiguration,
    isOurAttachConfiguration,
    minimalReplacement,
    writeThroughWorkspaceEdit,
} from '../../src/launchConfig';
import { Uri, type WorkspaceEdit } from './fakeVscode';

// out/extension/test/unit -> the repository root (mocha runs the compiled tests).
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

const EXISTING = `{
    // my own configurations
    "version": "0.2.0",
    "configurations": [
        { "name": "Run tests", "type": "debugpy", "request": "launch", "module": "pytest" },
    ]
}
`;

const MERGED = `{
    // my own configurations
    "version": "0.2.0",
    "configurations": [
        { "name": "Run tests", "type": "debugpy", "request": "launch", "module": "pytest" },
        {
            "name": "Azure ML: Docker Debug",
            "type": "debugpy",
            "request": "attach",
            "connect": { "host": "127.0.0.1", "port": 5678 },
            "pathMappings": [{ "localRoot": "\${workspaceFolder}", "remoteRoot": "/var/azureml-app" }]
        }
    ]
}
`;

function fakeDocument(text: string) {
    const positionAt = (offset: number) => {
        const before = text.slice(0, offset).split('\n');
        return { line: before.length - 1, character: before[before.length - 1].length };
    };
    return { getText: () => text, positionAt, save: sinon.stub().resolves(true) };
}

describe('launch.json through the editor', () => {
    afterEach(() => sinon.restore());

    it('replaces only the changed middle of the file', () => {
        const replacement = minimalReplacement('abcXYZdef', 'abc123def');
        assert.deepStrictEqual(replacement, { start: 3, end: 6, text: '123' });
        assert.strictEqual(minimalReplacement('same', 'same'), undefined);
        const insertion = minimalReplacement(EXISTING, MERGED);
        assert.ok(insertion);
        assert.ok(EXISTING.slice(0, insertion.start).includes('// my own configurations'));
        assert.ok(insertion.text.includes('/var/azureml-app'));
    });

    it('finds the container attach entry in a launch.json with comments and trailing commas', () => {
        const found = findAttachConfiguration(MERGED, 5678);
        assert.strictEqual(found?.name, 'Azure ML: Docker Debug');
        assert.strictEqual(findAttachConfiguration(EXISTING), undefined);
        assert.strictEqual(findAttachConfiguration('not json'), undefined);
    });

    it('builds a fallback attach entry mapping the project to /var/azureml-app', () => {
        const configuration = defaultAttachConfiguration('/work/project', 5679);
        assert.deepStrictEqual(configuration.connect, { host: '127.0.0.1', port: 5679 });
        assert.deepStrictEqual(configuration.pathMappings, [
            { localRoot: '/work/project', remoteRoot: '/var/azureml-app' },
        ]);
    });

    it('writes the one entry shape the CLI and the server write (tests/fixtures/launch-entry.json)', () => {
        const shared = JSON.parse(
            fs.readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'launch-entry.json'), 'utf8'),
        );
        assert.deepStrictEqual(defaultAttachConfiguration('${workspaceFolder}', 5678), shared);
        const process = defaultAttachConfiguration('/work/project', 5678, 'process');
        assert.strictEqual(process.name, 'Azure ML: Local Process Debug');
        assert.strictEqual(process.pathMappings, undefined);
    });

    it('recognises our entry by name or by its mapping onto the app root', () => {
        assert.ok(isOurAttachConfiguration({ name: 'Azure ML: Docker Debug', request: 'attach' }));
        assert.ok(
            isOurAttachConfiguration({
                name: 'mine',
                request: 'attach',
                pathMappings: [{ localRoot: '/x', remoteRoot: '/var/azureml-app' }],
            }),
        );
        assert.ok(!isOurAttachConfiguration({ name: 'Azure ML: Docker Debug', request: 'launch' }));
        assert.ok(!isOurAttachConfiguration({ name: 'Python: Current File', request: 'attach' }));
    });

    it('applies one undoable replace edit to an existing launch.json and saves it', async () => {
        const document = fakeDocument(EXISTING);
        sinon.stub(api, 'fileExists').resolves(true);
        sinon.stub(api, 'openTextDocument').resolves(document as any);
        const applyEdit = sinon.stub(api, 'applyEdit').resolves(true);
        const uri = Uri.file('/work/.vscode/launch.json');

        const outcome = await writeThroughWorkspaceEdit(uri as any, MERGED);

        assert.strictEqual(outcome, 'updated');
        const edit = applyEdit.firstCall.args[0] as unknown as WorkspaceEdit;
        assert.strictEqual(edit.operations.length, 1);
        const [operation] = edit.operations;
        assert.strictEqual(operation.kind, 'replace');
        assert.ok(operation.kind === 'replace' && operation.text.includes('"request": "attach"'));
        assert.ok(document.save.calledOnce);
    });

    it('creates launch.json when there is none, and leaves an up-to-date file alone', async () => {
        const fileExists = sinon.stub(api, 'fileExists').resolves(false);
        sinon.stub(api, 'openTextDocument').resolves(fakeDocument(MERGED) as any);
        const applyEdit = sinon.stub(api, 'applyEdit').resolves(true);
        const uri = Uri.file('/work/.vscode/launch.json');

        assert.strictEqual(await writeThroughWorkspaceEdit(uri as any, MERGED), 'created');
        const kinds = (applyEdit.firstCall.args[0] as unknown as WorkspaceEdit).operations.map(
            (o) => o.kind,
        );
        assert.deepStrictEqual(kinds, ['createFile', 'insert']);

        fileExists.resolves(true);
        assert.strictEqual(await writeThroughWorkspaceEdit(uri as any, MERGED), 'unchanged');
        assert.strictEqual(applyEdit.callCount, 1);
    });
});

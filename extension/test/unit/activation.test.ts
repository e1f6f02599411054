import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as sinon from 'sinon';
import { LanguageServerManager } from '../../src/common/server';
import * as api from '../../src/common/vscodeapi';
import { activate } from '../../src/extension';
import { ContainerStatusBar } from '../../src/statusBar';

const disposable = { dispose: () => undefined };

function fakeItem() {
    return { text: '', tooltip: '', show: sinon.stub(), dispose: sinon.stub() } as any;
}

describe('activation', () => {
    afterEach(() => sinon.restore());

    it('registers a handler for every contributed command and starts the server once', async () => {
        const manifest = JSON.parse(
            fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8'),
        );
        const registered: string[] = [];
        sinon.stub(api, 'registerCommand').callsFake((id: string) => {
            registered.push(id);
            return disposable as any;
        });
        sinon.stub(api, 'createLogOutputChannel').returns({ dispose: () => undefined } as any);
        sinon.stub(api, 'createOutputChannel').returns({ dispose: () => undefined } as any);
        sinon.stub(api, 'createStatusBarItem').returns(fakeItem());
        sinon.stub(api, 'registerTextDocumentContentProvider').returns(disposable as any);
        sinon.stub(api, 'onDidSaveTextDocument').returns(disposable as any);
        sinon.stub(api, 'onDidChangeConfiguration').returns(disposable as any);
        const grant = sinon.stub(api, 'onDidGrantWorkspaceTrust').returns(disposable as any);
        sinon.stub(api, 'registerDebugAdapterTrackerFactory').returns(disposable as any);
        sinon.stub(api, 'onDidStartDebugSession').returns(disposable as any);
        sinon.stub(api, 'onDidTerminateDebugSession').returns(disposable as any);
        sinon.stub(api, 'registerDebugConfigurationProvider').returns(disposable as any);
        sinon.stub(api, 'registerDebugAdapterDescriptorFactory').returns(disposable as any);
        sinon.stub(api, 'setContext').resolves(undefined);
        sinon.stub(api, 'getWorkspaceFolders').returns([]);
        const restart = sinon.stub(LanguageServerManager.prototype, 'restart').resolves();
        const context = { extensionPath: '/ext', subscriptions: [] as unknown[] };

        await activate(context as any);

        const contributed = manifest.contributes.commands.map((c: any) => c.command);
        for (const command of contributed) {
            assert.ok(registered.includes(command), `${command} has no handler`);
        }
        assert.ok(registered.includes('azuremlDebug.statusBarActions'));
        assert.strictEqual(restart.callCount, 1);
        assert.ok(context.subscriptions.length >= contributed.length);

        // Trust granted later: the server is told (it decides what trust allows), not restarted.
        const told = sinon.stub(LanguageServerManager.prototype, 'notifyTrustGranted').resolves();
        grant.firstCall.args[0]();
        sinon.assert.calledOnce(told);
        assert.strictEqual(restart.callCount, 1);
    });
});

describe('status bar', () => {
    afterEach(() => sinon.restore());

    it('shows the state, publishes it as a context key, and keeps the ports across updates', () => {
        const item = fakeItem();
        sinon.stub(api, 'createStatusBarItem').returns(item);
        const setContext = sinon.stub(api, 'setContext').resolves(undefined);
        sinon.stub(api, 'themeColor').callsFake((id: string) => ({ id }) as any);
        const bar = new ContainerStatusBar();

        bar.update({ state: 'ready', name: 'debug', port: 8000, debugPort: 5678 });
        bar.update({ state: 'crashed', message: 'Worker failed to boot.' });

        assert.strictEqual(item.text, '$(error) Azure ML: crashed');
        assert.deepStrictEqual(item.backgroundColor, { id: 'statusBarItem.errorBackground' });
        assert.strictEqual(bar.state.name, 'debug');
        assert.strictEqual(bar.state.port, 8000);
        assert.deepStrictEqual(setContext.lastCall.args, ['amldebug.containerState', 'crashed']);
    });

    it('runs the quick-pick action the user chose', async () => {
        sinon.stub(api, 'createStatusBarItem').returns(fakeItem());
        sinon.stub(api, 'setContext').resolves(undefined);
        sinon
            .stub(api, 'showQuickPick')
            .callsFake(async (items: readonly any[]) =>
                items.find((i) => i.command === 'azuremlDebug.sendTestRequest'),
            );
        const execute = sinon.stub(api, 'executeCommand').resolves(undefined);
        const bar = new ContainerStatusBar();
        bar.update({ state: 'ready', port: 8000, debugPort: 5678 });

        await bar.showActions();

        assert.deepStrictEqual(execute.firstCall.args, ['azuremlDebug.sendTestRequest']);
    });
});

import * as assert from 'assert';
import * as sinon from 'sinon';
import { openShell } from '../../src/commands/containerIo';
import * as api from '../../src/common/vscodeapi';
import type { Services } from '../../src/services';

describe('open shell', () => {
    afterEach(() => sinon.restore());

    it('opens a terminal running `amldebug shell --name <container>` with the bundled server', async () => {
        sinon.stub(api, 'isWorkspaceTrusted').returns(true);
        const terminal = { show: sinon.stub() };
        const createTerminal = sinon.stub(api, 'createTerminal').returns(terminal as any);
        const services = {
            container: { state: { state: 'ready', name: 'debug' } },
            cliLaunch: async () => ({
                command: '/usr/bin/python3',
                args: ['-m', 'amldebug'],
                env: { PYTHONPATH: '/ext/bundled/tool' },
            }),
        } as unknown as Services;

        await openShell(services);

        const options = createTerminal.firstCall.args[0];
        assert.strictEqual(options.name, 'Azure ML: debug');
        assert.strictEqual(options.shellPath, '/usr/bin/python3');
        assert.deepStrictEqual(options.shellArgs, ['-m', 'amldebug', 'shell', '--name', 'debug']);
        assert.deepStrictEqual(options.env, { PYTHONPATH: '/ext/bundled/tool' });
        assert.ok(terminal.show.calledOnce);
    });

    it('says there is no container to open a shell in', async () => {
        sinon.stub(api, 'isWorkspaceTrusted').returns(true);
        const info = sinon.stub(api, 'showInformationMessage').resolves(undefined);
        const createTerminal = sinon.stub(api, 'createTerminal');
        const services = { container: { state: { state: 'none' } } } as unknown as Services;

        await openShell(services);

        assert.ok(createTerminal.notCalled);
        assert.match(String(info.firstCall.args[0]), /no debug container is running/);
    });
});

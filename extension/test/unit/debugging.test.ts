import * as assert from 'assert';
import * as sinon from 'sinon';
import { ReloadLoop, RELOAD_NOW } from '../../src/commands/reloadLoop';
import type { CommandAnswer } from '../../src/generated/contract';
import * as api from '../../src/common/vscodeapi';
import { NO_CONTAINER, type ContainerState } from '../../src/containerState';
import {
    adapterServerFor,
    ContainerDebugConfigurationProvider,
    f5Decision,
    START_AND_ATTACH,
} from '../../src/debugConfiguration';
import { AttachedSessions, pausedAfter, reusableConfiguration } from '../../src/debugSessions';
import type { Services } from '../../src/services';
import { Uri } from './fakeVscode';

const FOLDER = { uri: Uri.file('/work/project'), name: 'project', index: 0 };
const OURS = {
    name: 'Azure ML: Docker Debug',
    type: 'debugpy',
    request: 'attach',
    connect: { host: '127.0.0.1', port: 5678 },
    pathMappings: [{ localRoot: '/work/project', remoteRoot: '/var/azureml-app' }],
};

function session(id: string, configuration: Record<string, unknown> = OURS) {
    return { id, configuration, workspaceFolder: FOLDER } as any;
}

function channel() {
    return {
        appendLine: sinon.stub(),
        show: sinon.stub(),
        info: sinon.stub(),
        error: sinon.stub(),
    };
}

function fakeServices(results: Record<string, object>, state: ContainerState = NO_CONTAINER) {
    const calls: { command: string; options: Record<string, unknown> }[] = [];
    const services = {
        server: {
            executeEngineCommand: async (command: string, options: Record<string, unknown>) => {
                calls.push({ command, options });
                return results[command] ?? { ok: false, error: `unexpected ${command}` };
            },
        },
        channels: { client: channel(), server: channel(), build: channel(), container: channel() },
        container: { state, update: sinon.stub() },
    } as unknown as Services;
    return { services, calls };
}

function stubEditor() {
    sinon.stub(api, 'isWorkspaceTrusted').returns(true);
    sinon.stub(api, 'getActiveTextEditor').returns(undefined);
    sinon.stub(api, 'getWorkspaceFolders').returns([FOLDER as any]);
    sinon.stub(api, 'getConfiguration').returns({
        get: (_key: string, fallback: unknown) => fallback,
    } as any);
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('attached debug sessions', () => {
    it('is paused after a stopped event and runs again after continue, next or continued', () => {
        assert.strictEqual(
            pausedAfter(false, { type: 'event', event: 'stopped' }, 'fromAdapter'),
            true,
        );
        assert.strictEqual(
            pausedAfter(true, { type: 'request', command: 'continue' }, 'toAdapter'),
            false,
        );
        assert.strictEqual(
            pausedAfter(true, { type: 'request', command: 'next' }, 'toAdapter'),
            false,
        );
        assert.strictEqual(
            pausedAfter(true, { type: 'event', event: 'continued' }, 'fromAdapter'),
            false,
        );
        // Looking at variables or the stack does not resume.
        assert.strictEqual(
            pausedAfter(true, { type: 'request', command: 'variables' }, 'toAdapter'),
            true,
        );
        assert.strictEqual(
            pausedAfter(true, { type: 'event', event: 'output' }, 'fromAdapter'),
            true,
        );
    });

    it('follows only sessions attached to our debug server', () => {
        const sessions = new AttachedSessions();
        assert.strictEqual(
            sessions.track(session('x', { name: 'Run tests', request: 'launch' })),
            undefined,
        );
        sessions.track(session('a'));
        assert.strictEqual(sessions.current()?.session.id, 'a');
        sessions.terminated(session('a'));
        assert.strictEqual(sessions.current(), undefined);
    });

    it('resolves whenResumed once the paused session continues, whenTerminated when it ends', async () => {
        const sessions = new AttachedSessions();
        const attached = session('a');
        sessions.message(attached, { type: 'event', event: 'stopped' }, 'fromAdapter');
        let resumed = false;
        void sessions.whenResumed().then(() => (resumed = true));
        await tick();
        assert.strictEqual(resumed, false);
        sessions.message(attached, { type: 'request', command: 'continue' }, 'toAdapter');
        await tick();
        assert.strictEqual(resumed, true);
        const ended = sessions.whenTerminated(attached, 1000);
        sessions.terminated(attached);
        assert.strictEqual(await ended, true);
        assert.strictEqual(await sessions.whenTerminated(session('b'), 10), true);
    });

    it('starts a session again without VS Code private keys', () => {
        assert.deepStrictEqual(reusableConfiguration({ ...OURS, __sessionId: 'x' } as any), OURS);
    });
});

describe('reload after a save', () => {
    afterEach(() => sinon.restore());

    it('attaches the same configuration again once the reloaded worker listens', async () => {
        stubEditor();
        const start = sinon.stub(api, 'startDebugging').resolves(true);
        const { services, calls } = fakeServices({ 'amldebug.reload': { ok: true, seconds: 1.2 } });
        const sessions = new AttachedSessions();
        const attached = session('a', { ...OURS, __configurationTarget: 5 });
        sessions.track(attached);
        const loop = new ReloadLoop(services, sessions);
        const reloading = loop.request(true);
        await tick();
        sessions.terminated(attached); // the worker, and debugpy with it, restarted
        await reloading;
        assert.strictEqual(calls[0].command, 'amldebug.reload');
        assert.strictEqual(calls[0].options.waitForRequests, 60);
        sinon.assert.calledOnceWithExactly(start, FOLDER as any, OURS as any);
    });

    it('does not attach when no debugger was attached before', async () => {
        stubEditor();
        const start = sinon.stub(api, 'startDebugging').resolves(true);
        const { services } = fakeServices({ 'amldebug.reload': { ok: true, seconds: 0.4 } });
        await new ReloadLoop(services, new AttachedSessions()).request(true);
        sinon.assert.notCalled(start);
    });

    it('saved while paused: the reload waits until the request has been continued', async () => {
        stubEditor();
        sinon.stub(api, 'startDebugging').resolves(true);
        const offer = sinon
            .stub(api, 'showInformationMessage')
            .returns(new Promise(() => undefined));
        const { services, calls } = fakeServices({ 'amldebug.reload': { ok: true, seconds: 0.4 } });
        const sessions = new AttachedSessions();
        const attached = session('a');
        sessions.message(attached, { type: 'event', event: 'stopped' }, 'fromAdapter');
        const loop = new ReloadLoop(services, sessions);
        const reloading = loop.request(true);
        void loop.request(true); // a second save while paused: one offer
        await tick();
        assert.strictEqual(calls.length, 0);
        sinon.assert.calledOnce(offer);
        assert.match(String(offer.firstCall.args[0]), /paused request answers first/);
        sessions.message(attached, { type: 'request', command: 'continue' }, 'toAdapter');
        await tick();
        sessions.terminated(attached);
        await reloading;
        assert.strictEqual(calls.length, 1);
        assert.strictEqual(calls[0].options.waitForRequests, 60);
    });

    it('saved while paused: "Reload Now" reloads at once, without waiting for requests', async () => {
        stubEditor();
        sinon.stub(api, 'startDebugging').resolves(true);
        sinon.stub(api, 'stopDebugging').resolves();
        sinon.stub(api, 'showInformationMessage').resolves(RELOAD_NOW as any);
        const { services, calls } = fakeServices({ 'amldebug.reload': { ok: true, seconds: 0.4 } });
        const sessions = new AttachedSessions();
        sessions.message(session('a'), { type: 'event', event: 'stopped' }, 'fromAdapter');
        const loop = new ReloadLoop(services, sessions);
        const reloading = loop.request(true);
        await tick();
        sessions.terminated(session('a'));
        await reloading;
        assert.strictEqual(calls[0].options.waitForRequests, 0);
    });

    it('says so when the reload had to end a request still running', async () => {
        stubEditor();
        const warn = sinon.stub(api, 'showWarningMessage').resolves(undefined);
        const { services } = fakeServices({
            'amldebug.reload': { ok: true, seconds: 0.4, requestsInterrupted: 1 },
        });
        await new ReloadLoop(services, new AttachedSessions()).request(true);
        assert.match(String(warn.firstCall.args[0]), /ended 1 request/);
    });
});

describe('F5 on our entry', () => {
    afterEach(() => sinon.restore());

    it('decides from the server status', () => {
        const status = (state: string) =>
            ({ ok: true, state, runtime: 'docker' }) as CommandAnswer<'amldebug.status'>;
        assert.strictEqual(f5Decision(status('ready')), 'attach');
        assert.strictEqual(f5Decision(status('starting')), 'attach');
        assert.strictEqual(f5Decision(status('none')), 'offerStart');
        assert.strictEqual(f5Decision(status('exited')), 'offerStart');
        assert.strictEqual(f5Decision(status('crashed')), 'showCrash');
        assert.strictEqual(f5Decision({ ok: false, error: 'no server' }), 'attach');
        assert.strictEqual(f5Decision({ ok: false, untrusted: true, error: 'refused' }), 'attach');
    });

    function provider(status: object) {
        const { services, calls } = fakeServices({ 'amldebug.status': status });
        const actions = {
            startAndAttach: sinon.stub().resolves(true),
            showCrash: sinon.stub().resolves(),
        };
        return {
            provider: new ContainerDebugConfigurationProvider(services, actions),
            actions,
            calls,
        };
    }

    it('no container: offers to start it, and accepting starts and attaches', async () => {
        stubEditor();
        sinon.stub(api, 'getExtension').returns({} as any);
        const offer = sinon.stub(api, 'showInformationMessage').resolves(START_AND_ATTACH as any);
        const { provider: p, actions } = provider({ ok: true, state: 'none' });
        const resolved = await p.resolveDebugConfiguration(FOLDER as any, { ...OURS } as any);
        assert.strictEqual(resolved, undefined); // no ECONNREFUSED: Debug in Container attaches
        assert.match(String(offer.firstCall.args[0]), /no debug container is running/);
        sinon.assert.calledOnce(actions.startAndAttach);
    });

    it('no container, offer declined: nothing starts and nothing fails', async () => {
        stubEditor();
        sinon.stub(api, 'getExtension').returns({} as any);
        sinon.stub(api, 'showInformationMessage').resolves(undefined);
        const { provider: p, actions } = provider({ ok: true, state: 'stopped' });
        assert.strictEqual(
            await p.resolveDebugConfiguration(FOLDER as any, { ...OURS } as any),
            undefined,
        );
        sinon.assert.notCalled(actions.startAndAttach);
    });

    it('a crashed container: shows why instead of connecting', async () => {
        stubEditor();
        sinon.stub(api, 'getExtension').returns({} as any);
        const status = { ok: true, state: 'crashed', file: '/work/project/score.py', line: 17 };
        const { provider: p, actions } = provider(status);
        assert.strictEqual(
            await p.resolveDebugConfiguration(FOLDER as any, { ...OURS } as any),
            undefined,
        );
        sinon.assert.calledOnceWithExactly(actions.showCrash, status);
    });

    it('a ready container: attaches as written; other configurations are not looked at', async () => {
        stubEditor();
        sinon.stub(api, 'getExtension').returns({} as any);
        const { provider: p, calls } = provider({ ok: true, state: 'ready' });
        assert.deepStrictEqual(
            await p.resolveDebugConfiguration(FOLDER as any, { ...OURS } as any),
            OURS,
        );
        const other = { name: 'Run tests', type: 'debugpy', request: 'launch' };
        assert.strictEqual(await p.resolveDebugConfiguration(FOLDER as any, other as any), other);
        assert.strictEqual(calls.length, 1);
    });

    it('without the Python Debugger extension our own debug type attaches', async () => {
        stubEditor();
        sinon.stub(api, 'getExtension').returns(undefined);
        const { provider: p } = provider({ ok: true, state: 'ready' });
        const resolved = await p.resolveDebugConfiguration(FOLDER as any, { ...OURS } as any);
        assert.strictEqual(resolved?.type, 'amldebug');
        const server = adapterServerFor(resolved as any) as any;
        assert.deepStrictEqual([server.port, server.host], [5678, '127.0.0.1']);
        assert.throws(() => adapterServerFor({ ...OURS, request: 'launch' } as any), /attach/);
    });
});

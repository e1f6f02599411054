// Activation: creates the channels, the status bar and the language server connection, and
// registers the commands. Everything else lives in the modules it wires together.
import * as path from 'path';
import type { ExtensionContext, Uri } from 'vscode';
import { explainLog, estimateReplicas } from './commands/troubleshooting';
import { LogFollower, openShell } from './commands/containerIo';
import { ReloadLoop, WAIT_FOR_REQUESTS_SECONDS } from './commands/reloadLoop';
import {
    attach,
    buildImage,
    commitContainer,
    debugInContainer,
    generateLaunchConfig,
    pullImage,
    runContainer,
    sendTestRequest,
    showInitCrash,
    stopContainer,
    syncFromContainer,
} from './commands/debugLoop';
import { createChannels } from './common/log';
import { cliLaunchFrom, LanguageServerManager, resolveServerLaunch } from './common/server';
import { getSettings, SETTINGS_SECTION } from './common/settings';
import {
    getWorkspaceFolders,
    onDidChangeConfiguration,
    onDidGrantWorkspaceTrust,
    onDidSaveTextDocument,
    registerCommand,
    setContext,
} from './common/vscodeapi';
import { parseContainerState } from './containerState';
import { registerDebugging } from './debugConfiguration';
import { AttachedSessions } from './debugSessions';
import { ReadOnlyDocuments } from './readOnlyDocuments';
import type { Services } from './services';
import { ContainerStatusBar } from './statusBar';

let languageServer: LanguageServerManager | undefined;

/** Paths for the `resourcePath in amldebug.entryScripts / amldebug.condaFiles` menu conditions. */
function publishFileContexts(): void {
    const entryScripts: string[] = [];
    const condaFiles: string[] = [];
    for (const folder of getWorkspaceFolders()) {
        const settings = getSettings(folder.uri);
        if (settings.entryScript) {
            entryScripts.push(path.resolve(folder.uri.fsPath, settings.entryScript));
        }
        if (settings.condaFile) {
            condaFiles.push(path.resolve(folder.uri.fsPath, settings.condaFile));
        }
    }
    void setContext('amldebug.entryScripts', entryScripts);
    void setContext('amldebug.condaFiles', condaFiles);
}

export async function activate(context: ExtensionContext): Promise<void> {
    const channels = createChannels();
    const statusBar = new ContainerStatusBar();
    const documents = new ReadOnlyDocuments();
    const server = new LanguageServerManager(context.extensionPath, channels, {
        'amldebug/containerState': (params: unknown) =>
            statusBar.update(parseContainerState(params)),
        'amldebug/log': (params: { channel?: string; line?: string } | undefined) => {
            const channel = params?.channel === 'build' ? channels.build : channels.container;
            // Lines may arrive with their own newline.
            channel.appendLine(String(params?.line ?? '').replace(/\r?\n$/, ''));
        },
    });
    languageServer = server;
    const services: Services = {
        server,
        channels,
        container: statusBar,
        cliLaunch: async () => {
            const { launch } = await resolveServerLaunch(context.extensionPath, getSettings());
            const cli = cliLaunchFrom(launch);
            return {
                command: cli.command,
                args: cli.args,
                env: { PYTHONPATH: cli.env.PYTHONPATH ?? '' },
            };
        },
    };
    const logs = new LogFollower(services);
    const sessions = new AttachedSessions();
    const reloads = new ReloadLoop(services, sessions);
    statusBar.onDidChange((state) => logs.onStateChange(state));

    const commands: Record<string, (...args: any[]) => unknown> = {
        debugInContainer: (uri?: Uri) => debugInContainer(services, uri),
        buildImage: (uri?: Uri) => buildImage(services, uri),
        runContainer: (uri?: Uri) => runContainer(services, uri),
        attach: (uri?: Uri) => attach(services, uri),
        generateLaunchConfig: (uri?: Uri) => generateLaunchConfig(services, uri),
        sendTestRequest: (uri?: Uri) => sendTestRequest(services, documents, uri),
        reload: () =>
            reloads.reloadNow({ quiet: false, waitForRequests: WAIT_FOR_REQUESTS_SECONDS }),
        showLogs: () => logs.showLogs(),
        openShell: () => openShell(services),
        commitContainer: () => commitContainer(services),
        syncFromContainer: () => syncFromContainer(services),
        stopContainer: () => stopContainer(services),
        pullImage: () => pullImage(services),
        explainLog: () => explainLog(services, documents),
        estimateReplicas: () => estimateReplicas(services),
        restartServer: () => server.restart('requested by the user'),
        showServerLogs: () => channels.server.show(),
    };
    for (const [name, handler] of Object.entries(commands)) {
        context.subscriptions.push(registerCommand(`azuremlDebug.${name}`, handler));
    }

    context.subscriptions.push(
        channels.client,
        channels.server,
        channels.build,
        channels.container,
        statusBar.register(),
        documents.register(),
        { dispose: () => logs.stop() },
        onDidSaveTextDocument((document) => void reloads.onDidSave(document)),
        ...sessions.register(),
        ...registerDebugging(services, {
            startAndAttach: () => debugInContainer(services),
            showCrash: async (status) => {
                const message = status.message ?? 'the server stopped';
                services.container.update({ state: 'crashed', message });
                await showInitCrash(services, { ...status, error: message });
            },
        }),
        onDidChangeConfiguration((event) => {
            if (event.affectsConfiguration(`${SETTINGS_SECTION}.interpreter`)) {
                void server.restart('the interpreter setting changed');
            }
            if (event.affectsConfiguration(SETTINGS_SECTION)) {
                publishFileContexts();
            }
        }),
        // The server decides trust; it learns of a grant without a restart.
        onDidGrantWorkspaceTrust(() => void server.notifyTrustGranted()),
    );
    publishFileContexts();
    await server.restart('activation');
}

export async function deactivate(): Promise<void> {
    await languageServer?.stop();
}

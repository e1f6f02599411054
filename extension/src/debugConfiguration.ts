// F5 on our launch.json entry: before VS Code connects, make sure there is something to connect to
// (issue 10, item 3). No debug server: offer to start it (building the image if needed) and attach
// when it is ready; a crashed one: show why, at the score.py line. Also our own debug type, which
// speaks DAP straight to debugpy in the container when the Python Debugger extension is missing.
import * as vscode from 'vscode';
import { getSettings } from './common/settings';
import type { CommandAnswer, StatusResult } from './generated/contract';
import {
    registerDebugAdapterDescriptorFactory,
    registerDebugConfigurationProvider,
    showInformationMessage,
} from './common/vscodeapi';
import { hasDebuggerExtension } from './debugger';
import { AMLDEBUG_DEBUG_TYPE, DEBUG_HOST, isOurAttachConfiguration } from './launchConfig';
import type { Services } from './services';

export const START_AND_ATTACH = 'Start and Attach';

export type F5Decision = 'attach' | 'offerStart' | 'showCrash';

/** What F5 on our entry does, from `amldebug.status`. Anything unclear (no server answer, an
 * untrusted workspace, where we run nothing): let VS Code attach as written. */
export function f5Decision(status: CommandAnswer<'amldebug.status'>): F5Decision {
    if (!status.ok) {
        return 'attach';
    }
    switch (status.state) {
        case 'crashed':
            return 'showCrash';
        case 'none':
        case 'stopped':
        case 'exited':
            return 'offerStart';
        default:
            return 'attach'; // ready, or starting (a server waiting for the debugger)
    }
}

export interface F5Actions {
    /** Builds if needed, runs, and attaches (Debug in Container). */
    startAndAttach(): Promise<unknown>;
    showCrash(status: StatusResult): Promise<void>;
}

export class ContainerDebugConfigurationProvider implements vscode.DebugConfigurationProvider {
    constructor(
        private readonly services: Services,
        private readonly actions: F5Actions,
    ) {}

    async resolveDebugConfiguration(
        folder: vscode.WorkspaceFolder | undefined,
        configuration: vscode.DebugConfiguration,
    ): Promise<vscode.DebugConfiguration | undefined> {
        if (!isOurAttachConfiguration(configuration)) {
            return configuration;
        }
        // Without Microsoft's Python Debugger, our own type attaches the same way.
        const resolved =
            configuration.type === 'debugpy' && !hasDebuggerExtension()
                ? { ...configuration, type: AMLDEBUG_DEBUG_TYPE }
                : configuration;
        const settings = getSettings(folder?.uri);
        const status = await this.services.server.executeEngineCommand('amldebug.status', {
            ...(settings.containerName ? { name: settings.containerName } : {}),
            ...(folder ? { folder: folder.uri.fsPath } : {}),
        });
        if (!status.ok) {
            return resolved; // the server refused (untrusted) or could not tell: VS Code tries
        }
        switch (f5Decision(status)) {
            case 'attach':
                return resolved;
            case 'showCrash':
                await this.actions.showCrash(status);
                return undefined;
            case 'offerStart': {
                const choice = await showInformationMessage(
                    'Azure ML: no debug container is running for this project. Start it ' +
                        '(building the image if needed) and attach the debugger when it is ready?',
                    START_AND_ATTACH,
                );
                if (choice === START_AND_ATTACH) {
                    // Debug in Container attaches by itself at the end: this F5 stops here.
                    void this.actions.startAndAttach();
                }
                return undefined;
            }
        }
    }
}

/** VS Code connects straight to the debugpy server named in the configuration. */
export function adapterServerFor(
    configuration: vscode.DebugConfiguration,
): vscode.DebugAdapterServer {
    const connect = (configuration.connect ?? {}) as { host?: unknown; port?: unknown };
    const port = Number(connect.port ?? configuration.port);
    if (configuration.request !== 'attach' || !Number.isInteger(port) || port <= 0) {
        throw new Error(
            'Azure ML: the "amldebug" debug type attaches to a debug container: "request": ' +
                '"attach" with "connect": {"host", "port"}.',
        );
    }
    return new vscode.DebugAdapterServer(
        port,
        typeof connect.host === 'string' && connect.host ? connect.host : DEBUG_HOST,
    );
}

export function registerDebugging(services: Services, actions: F5Actions): vscode.Disposable[] {
    const provider = new ContainerDebugConfigurationProvider(services, actions);
    return [
        registerDebugConfigurationProvider('debugpy', provider),
        registerDebugConfigurationProvider(AMLDEBUG_DEBUG_TYPE, provider),
        registerDebugAdapterDescriptorFactory(AMLDEBUG_DEBUG_TYPE, {
            createDebugAdapterDescriptor: (session) => adapterServerFor(session.configuration),
        }),
    ];
}

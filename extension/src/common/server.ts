// Starts the Python language server (`python -m amldebug lsp`) with the amldebug package and its
// pure-Python dependencies from the VSIX on PYTHONPATH, restarts it when it crashes (a bounded
// number of times), and sends it `workspace/executeCommand` requests.
import * as fs from 'fs';
import * as path from 'path';
import type { CancellationToken, Progress } from 'vscode';
import {
    CloseAction,
    ErrorAction,
    ExecuteCommandRequest,
    LanguageClient,
    RevealOutputChannelOn,
    WorkDoneProgress,
    type CloseHandlerResult,
    type ErrorHandler,
    type ErrorHandlerResult,
    type LanguageClientOptions,
    type ServerOptions,
} from 'vscode-languageclient/node';
import type { Channels } from './log';
import { chooseInterpreter, pythonExtensionInterpreter, type InterpreterChoice } from './python';
import { getSettings, type AmlDebugSettings } from './settings';
import { isWorkspaceTrusted, showErrorMessage, showWarningMessage } from './vscodeapi';
import type { CommandAnswer, CommandName, CommandParams, Failure } from '../generated/contract';

export const SERVER_ID = 'amldebug';
export const SERVER_NAME = 'Azure ML Language Server';
export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 3 * 60 * 1000;
export const DEBUG_SERVER_PORT_VARIABLE = 'AMLDEBUG_DEBUG_SERVER_PORT';

/** What `amldebug/workspaceTrust` says: the server decides trust, from this and initializationOptions. */
export const TRUST_NOTIFICATION = 'amldebug/workspaceTrust';

/** `{ok: false, error, hint?}` from the server, or from here when no answer came. */
export type EngineFailure = Failure;

/** What the client says when the server did not answer (the server's own failures are typed). */
function clientFailure(error: string, hint?: string): Failure {
    return hint ? { ok: false, error, hint } : { ok: false, error };
}

export interface ServerLaunch {
    command: string;
    args: string[];
    env: NodeJS.ProcessEnv;
}

/** Folders put on PYTHONPATH: the packaged copies when present, else the repository's sources. */
export function serverPythonPath(
    extensionRoot: string,
    exists: (p: string) => boolean = fs.existsSync,
): string[] {
    const bundledTool = path.join(extensionRoot, 'extension', 'bundled', 'tool');
    const bundledLibs = path.join(extensionRoot, 'extension', 'bundled', 'libs');
    const sourceTree = path.join(extensionRoot, 'server');
    const entries: string[] = [];
    if (exists(path.join(bundledTool, 'amldebug'))) {
        entries.push(bundledTool);
    } else if (exists(path.join(sourceTree, 'amldebug'))) {
        entries.push(sourceTree);
    }
    if (exists(bundledLibs)) {
        entries.push(bundledLibs);
    }
    return entries;
}

/**
 * The process to start: `<python> -m amldebug lsp`, or `amldebug lsp` when the interpreter setting
 * names the `amldebug` console script itself.
 */
export function serverLaunch(
    interpreter: InterpreterChoice,
    pythonPath: readonly string[],
    baseEnv: NodeJS.ProcessEnv,
): ServerLaunch {
    const [executable, ...extraArgs] = interpreter.command;
    const isConsoleScript = /^amldebug(\.exe)?$/i.test(path.basename(executable));
    // Set by .vscode/launch.json ("Extension + language server"): the server waits for a Python
    // debugger on that loopback port, so both halves can be debugged together.
    const debugPort = baseEnv[DEBUG_SERVER_PORT_VARIABLE];
    const underDebugger =
        debugPort && !isConsoleScript
            ? ['-m', 'debugpy', '--listen', `127.0.0.1:${debugPort}`]
            : [];
    const args = isConsoleScript
        ? [...extraArgs, 'lsp']
        : [...extraArgs, ...underDebugger, '-m', 'amldebug', 'lsp'];
    const existing = baseEnv.PYTHONPATH ? [baseEnv.PYTHONPATH] : [];
    const env: NodeJS.ProcessEnv = {
        ...baseEnv,
        PYTHONPATH: [...pythonPath, ...existing].join(path.delimiter),
        // Server stdout is the JSON-RPC pipe; unbuffered stderr keeps its log timely.
        PYTHONUNBUFFERED: '1',
    };
    return { command: executable, args, env };
}

/** The interpreter and the process for the current settings. */
export async function resolveServerLaunch(
    extensionRoot: string,
    settings: AmlDebugSettings,
): Promise<{ interpreter: InterpreterChoice; launch: ServerLaunch }> {
    const interpreter = chooseInterpreter(
        settings.interpreter,
        settings.interpreter.length === 0 ? await pythonExtensionInterpreter() : undefined,
    );
    const launch = serverLaunch(interpreter, serverPythonPath(extensionRoot), process.env);
    return { interpreter, launch };
}

/** The same process for a CLI verb: the server launch without `lsp` and without the debugger. */
export function cliLaunchFrom(launch: ServerLaunch): ServerLaunch {
    let args =
        launch.args[launch.args.length - 1] === 'lsp' ? launch.args.slice(0, -1) : launch.args;
    const debuggerAt = args.indexOf('debugpy');
    if (debuggerAt > 0 && args[debuggerAt - 1] === '-m') {
        args = [...args.slice(0, debuggerAt - 1), ...args.slice(debuggerAt + 3)];
    }
    return { ...launch, args };
}

/** What the server reads at start: whether the workspace is trusted (the server decides what
 * that allows; later grants come as TRUST_NOTIFICATION) and the settings. */
export function initializationOptions(
    settings: AmlDebugSettings,
    trusted: boolean,
): { trusted: boolean; settings: AmlDebugSettings } {
    return { trusted, settings };
}

/** Counts crashes inside a sliding window and says whether one more restart is allowed. */
export class RestartBudget {
    private crashes: number[] = [];

    constructor(
        private readonly max = MAX_RESTARTS,
        private readonly windowMs = RESTART_WINDOW_MS,
        private readonly now: () => number = Date.now,
    ) {}

    /** Records a crash; returns the restart number (1-based) or undefined when the budget is spent. */
    recordCrash(): number | undefined {
        const time = this.now();
        this.crashes = this.crashes.filter((t) => time - t < this.windowMs);
        this.crashes.push(time);
        return this.crashes.length <= this.max ? this.crashes.length : undefined;
    }

    reset(): void {
        this.crashes = [];
    }
}

type NotificationHandlers = Record<string, (params: any) => void>;

export class LanguageServerManager {
    private client: LanguageClient | undefined;
    private queue: Promise<void> = Promise.resolve();
    private readonly budget = new RestartBudget();
    private progressCounter = 0;

    constructor(
        private readonly extensionRoot: string,
        private readonly channels: Channels,
        private readonly notifications: NotificationHandlers,
    ) {}

    get languageClient(): LanguageClient | undefined {
        return this.client;
    }

    /** Restarts are serialised: a second request waits for the first to finish. */
    restart(reason: string): Promise<void> {
        this.queue = this.queue
            .then(() => this.stopAndStart(reason))
            .catch((error: unknown) => {
                this.channels.client.error(`Language server failed to start: ${String(error)}`);
                void showErrorMessage(
                    `Azure ML: the language server failed to start: ${String(error)}`,
                );
            });
        return this.queue;
    }

    async stop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (client) {
            await client.stop().catch(() => undefined);
        }
    }

    /** Tells the running server that the user granted workspace trust (no restart needed). */
    async notifyTrustGranted(): Promise<void> {
        await this.queue;
        if (this.client?.isRunning()) {
            await this.client.sendNotification(TRUST_NOTIFICATION, { trusted: true });
        }
    }

    /** One `workspace/executeCommand`, typed by the command (extension/src/generated/). */
    async executeEngineCommand<C extends CommandName>(
        command: C,
        params: CommandParams[C],
        progress?: Progress<{ message?: string; increment?: number }>,
        token?: CancellationToken,
    ): Promise<CommandAnswer<C>> {
        await this.queue;
        const client = this.client;
        if (!client || !client.isRunning()) {
            return clientFailure(
                'The Azure ML language server is not running.',
                'Run "Azure ML: Restart Language Server" and look at "Azure ML: Show Language Server Logs".',
            );
        }
        const workDoneToken = progress ? `amldebug-${++this.progressCounter}` : undefined;
        let lastPercent = 0;
        const subscription = workDoneToken
            ? client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
                  if (value.kind === 'end') {
                      return;
                  }
                  const percent = value.percentage ?? lastPercent;
                  progress?.report({ message: value.message, increment: percent - lastPercent });
                  lastPercent = percent;
              })
            : undefined;
        try {
            const result: unknown = await client.sendRequest(
                ExecuteCommandRequest.type,
                { command, arguments: [params], workDoneToken },
                token,
            );
            return normaliseResult<C>(result);
        } catch (error) {
            if (token?.isCancellationRequested) {
                return { ok: false, cancelled: true, error: 'Cancelled.' };
            }
            const message = error instanceof Error ? error.message : String(error);
            this.channels.client.error(`${command} failed: ${message}`);
            return clientFailure(message);
        } finally {
            subscription?.dispose();
        }
    }

    private async stopAndStart(reason: string): Promise<void> {
        await this.stop();
        const settings = getSettings();
        const { interpreter, launch } = await resolveServerLaunch(this.extensionRoot, settings);
        this.channels.client.info(
            `Starting the language server (${reason}): ${launch.command} ${launch.args.join(' ')} ` +
                `[interpreter from ${interpreter.source}; PYTHONPATH=${launch.env.PYTHONPATH}]`,
        );
        const serverOptions: ServerOptions = {
            command: launch.command,
            args: launch.args,
            options: { env: launch.env },
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: [
                { scheme: 'file', language: 'python' },
                { scheme: 'file', language: 'yaml' },
                { scheme: 'file', pattern: '**/Dockerfile*' },
                { scheme: 'file', pattern: '**/*.steps' },
            ],
            outputChannel: this.channels.server,
            traceOutputChannel: this.channels.server,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationOptions: initializationOptions(settings, isWorkspaceTrusted()),
            synchronize: { configurationSection: 'amldebug' },
            errorHandler: this.errorHandler(),
        };
        const client = new LanguageClient(SERVER_ID, SERVER_NAME, serverOptions, clientOptions);
        for (const [method, handler] of Object.entries(this.notifications)) {
            client.onNotification(method, handler);
        }
        this.client = client;
        await client.start();
        this.channels.client.info('Language server started.');
    }

    private errorHandler(): ErrorHandler {
        return {
            error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
            closed: (): CloseHandlerResult => {
                const attempt = this.budget.recordCrash();
                if (attempt === undefined) {
                    const message =
                        `Azure ML: the language server stopped ${MAX_RESTARTS + 1} times in a few ` +
                        'minutes and will not be restarted. Its log says why; fix the cause and run ' +
                        '"Azure ML: Restart Language Server".';
                    void showErrorMessage(message, 'Show Server Logs').then((choice) => {
                        if (choice) {
                            this.channels.server.show();
                        }
                    });
                    return { action: CloseAction.DoNotRestart, handled: true };
                }
                const message = `Azure ML: the language server stopped; restarting it (${attempt} of ${MAX_RESTARTS}).`;
                this.channels.client.warn(message);
                void showWarningMessage(message);
                return { action: CloseAction.Restart, handled: true };
            },
        };
    }
}

/**
 * The server's answer as the contract types it. The server checks its answers against the same
 * dataclasses the types are generated from; here only "is it an answer at all" is left to check.
 */
export function normaliseResult<C extends CommandName>(result: unknown): CommandAnswer<C> {
    if (result && typeof result === 'object' && 'ok' in result) {
        return result as CommandAnswer<C>;
    }
    if (result === null || result === undefined) {
        return clientFailure('The language server returned no result.');
    }
    return clientFailure('The language server answered without `ok`: a server of another version?');
}

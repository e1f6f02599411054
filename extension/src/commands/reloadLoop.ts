// Reload after a save, the way a user expects it: a request paused at a breakpoint answers first
// (or the user says "Reload Now"), requests still running are waited for, and the debugger that
// was attached before is attached again once the new worker listens (issue 10, items 1 and 2).
import type * as vscode from 'vscode';
import { getSettings } from '../common/settings';
import {
    showInformationMessage,
    showWarningMessage,
    startDebugging,
    stopDebugging,
} from '../common/vscodeapi';
import { reusableConfiguration, type AttachedSessions } from '../debugSessions';
import { resolveProject, targetOptions } from '../project';
import type { Services } from '../services';
import { containerName, reportFailure } from './debugLoop';

export const RELOAD_NOW = 'Reload Now';
// How long a reload waits for requests still running (not paused) to answer before it restarts.
export const WAIT_FOR_REQUESTS_SECONDS = 60;
// How long the old session may take to notice its worker is gone before we end it ourselves.
const OLD_SESSION_GRACE_MS = 5_000;

export interface ReloadOptions {
    quiet: boolean;
    /** Seconds to wait for requests in flight; 0 restarts at once (the user said so). */
    waitForRequests: number;
}

export class ReloadLoop {
    private deferred: Promise<void> | undefined;

    constructor(
        private readonly services: Services,
        private readonly sessions: AttachedSessions,
    ) {}

    /** Reload-on-save: only for a ready server, a Python file on disk, and the setting on. */
    onDidSave(document: vscode.TextDocument): Promise<void> | undefined {
        if (
            this.services.container.state.state !== 'ready' ||
            !getSettings(document.uri).reloadOnSave ||
            document.uri.scheme !== 'file' ||
            document.languageId !== 'python'
        ) {
            return undefined;
        }
        return this.request(true);
    }

    /** A reload now, or once the request paused at a breakpoint has answered. */
    request(quiet: boolean): Promise<void> {
        if (this.sessions.current()?.paused) {
            return this.afterThePausedRequest(quiet);
        }
        return this.reloadNow({ quiet, waitForRequests: WAIT_FOR_REQUESTS_SECONDS });
    }

    private afterThePausedRequest(quiet: boolean): Promise<void> {
        // Several saves while paused: one offer, one reload.
        this.deferred ??= (async () => {
            const resumed = this.sessions.whenResumed().then(() => 'resumed' as const);
            const asked = showInformationMessage(
                'Azure ML: saved while stopped at a breakpoint. The paused request answers ' +
                    'first; the new code loads when you continue (F5).',
                RELOAD_NOW,
            ).then((choice) => (choice === RELOAD_NOW ? ('now' as const) : resumed));
            const outcome = await Promise.race([resumed, asked]);
            this.deferred = undefined;
            await this.reloadNow({
                quiet,
                waitForRequests: outcome === 'now' ? 0 : WAIT_FOR_REQUESTS_SECONDS,
            });
        })();
        return this.deferred;
    }

    async reloadNow(options: ReloadOptions): Promise<void> {
        const target = await resolveProject();
        const attached = this.sessions.current();
        const result = await this.services.server.executeEngineCommand('amldebug.reload', {
            ...containerName(this.services),
            ...(target ? targetOptions(target) : {}),
            waitForRequests: options.waitForRequests,
        });
        if (!result.ok) {
            await reportFailure(this.services, 'Reload', result);
            return;
        }
        const message = `Azure ML: entry script reloaded in ${result.seconds.toFixed(1)} s.`;
        this.services.channels.client.info(message);
        const interrupted = result.requestsInterrupted ?? 0;
        if (interrupted > 0) {
            void showWarningMessage(
                `Azure ML: the reload ended ${interrupted} request(s) still running after ` +
                    `${options.waitForRequests} s.`,
            );
        } else if (!options.quiet) {
            void showInformationMessage(message);
        }
        if (attached) {
            await this.attachAgain(attached.session);
        }
    }

    /** The worker, and debugpy in it, restarted: attach the same configuration again. */
    private async attachAgain(session: vscode.DebugSession): Promise<void> {
        if (!(await this.sessions.whenTerminated(session, OLD_SESSION_GRACE_MS))) {
            await stopDebugging(session);
        }
        const started = await startDebugging(
            session.workspaceFolder,
            reusableConfiguration(session.configuration),
        );
        this.services.channels.client.info(
            started ? 'debugger attached again after the reload' : 'could not attach again',
        );
    }
}

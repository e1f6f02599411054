// Which debug session is attached to our debug server, and whether it is stopped at a breakpoint:
// a reload must attach again once the worker has restarted (issue 10, item 1), and must not kill a
// request that is paused at a breakpoint (item 2). A debug adapter tracker sees the DAP traffic.
import type * as vscode from 'vscode';
import {
    onDidStartDebugSession,
    onDidTerminateDebugSession,
    registerDebugAdapterTrackerFactory,
} from './common/vscodeapi';
import { isOurAttachConfiguration } from './launchConfig';

export interface DapMessage {
    type?: string;
    command?: string;
    event?: string;
}

// Requests after which the debuggee runs again (until the next `stopped` event).
const RESUMING_REQUESTS = new Set([
    'continue',
    'next',
    'stepIn',
    'stepOut',
    'stepBack',
    'reverseContinue',
    'goto',
    'restartFrame',
]);

/** Whether the debuggee is paused after `message` went to (`toAdapter`) or came from the adapter. */
export function pausedAfter(
    paused: boolean,
    message: DapMessage,
    direction: 'toAdapter' | 'fromAdapter',
): boolean {
    if (direction === 'toAdapter') {
        return message.type === 'request' && RESUMING_REQUESTS.has(message.command ?? '')
            ? false
            : paused;
    }
    if (message.type !== 'event') {
        return paused;
    }
    if (message.event === 'stopped') {
        return true;
    }
    if (message.event === 'continued' || message.event === 'terminated') {
        return false;
    }
    return paused;
}

/** A session's configuration as it can be started again: VS Code's private `__` keys dropped. */
export function reusableConfiguration(
    configuration: vscode.DebugConfiguration,
): vscode.DebugConfiguration {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(configuration)) {
        if (!key.startsWith('__')) {
            copy[key] = value;
        }
    }
    return copy as vscode.DebugConfiguration;
}

export interface AttachedSession {
    session: vscode.DebugSession;
    paused: boolean;
}

export class AttachedSessions {
    private readonly sessions = new Map<string, AttachedSession>();
    private resumeWaiters: (() => void)[] = [];
    private readonly terminateWaiters = new Map<string, (() => void)[]>();

    /** Starts following `session` when it is attached to our debug server. */
    track(session: vscode.DebugSession): AttachedSession | undefined {
        if (!isOurAttachConfiguration(session.configuration)) {
            return undefined;
        }
        let attached = this.sessions.get(session.id);
        if (!attached) {
            attached = { session, paused: false };
            this.sessions.set(session.id, attached);
        }
        return attached;
    }

    message(
        session: vscode.DebugSession,
        message: DapMessage,
        direction: 'toAdapter' | 'fromAdapter',
    ): void {
        const attached = this.track(session);
        if (!attached) {
            return;
        }
        const wasPaused = attached.paused;
        attached.paused = pausedAfter(wasPaused, message, direction);
        if (wasPaused && !attached.paused) {
            this.resumed();
        }
    }

    terminated(session: vscode.DebugSession): void {
        const attached = this.sessions.get(session.id);
        this.sessions.delete(session.id);
        for (const resolve of this.terminateWaiters.get(session.id) ?? []) {
            resolve();
        }
        this.terminateWaiters.delete(session.id);
        if (attached?.paused) {
            this.resumed();
        }
    }

    /** The session attached to our server (the latest one when there are several). */
    current(): AttachedSession | undefined {
        return [...this.sessions.values()].pop();
    }

    /** Resolves when no attached session is paused any more (continued, stepped or ended). */
    whenResumed(): Promise<void> {
        if (![...this.sessions.values()].some((s) => s.paused)) {
            return Promise.resolve();
        }
        return new Promise((resolve) => this.resumeWaiters.push(resolve));
    }

    /** True once `session` has ended, false when it is still there after `timeoutMs`. */
    whenTerminated(session: vscode.DebugSession, timeoutMs: number): Promise<boolean> {
        if (!this.sessions.has(session.id)) {
            return Promise.resolve(true);
        }
        return new Promise((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            const waiters = this.terminateWaiters.get(session.id) ?? [];
            waiters.push(() => {
                clearTimeout(timer);
                resolve(true);
            });
            this.terminateWaiters.set(session.id, waiters);
        });
    }

    private resumed(): void {
        if ([...this.sessions.values()].some((s) => s.paused)) {
            return;
        }
        const waiters = this.resumeWaiters;
        this.resumeWaiters = [];
        for (const resolve of waiters) {
            resolve();
        }
    }

    register(): vscode.Disposable[] {
        return [
            registerDebugAdapterTrackerFactory('*', {
                createDebugAdapterTracker: (session) => {
                    if (!this.track(session)) {
                        return undefined;
                    }
                    return {
                        onWillReceiveMessage: (message: DapMessage) =>
                            this.message(session, message, 'toAdapter'),
                        onDidSendMessage: (message: DapMessage) =>
                            this.message(session, message, 'fromAdapter'),
                    };
                },
            }),
            onDidStartDebugSession((session) => this.track(session)),
            onDidTerminateDebugSession((session) => this.terminated(session)),
        ];
    }
}

// What the command handlers share: the server connection, the output channels and the container
// state. Passed explicitly so unit tests can hand in fakes.
import type { ContainerState } from './containerState';
import type { Channels } from './common/log';
import type { LanguageServerManager } from './common/server';

export interface ContainerStateStore {
    readonly state: ContainerState;
    update(state: ContainerState): void;
}

export interface Services {
    server: Pick<LanguageServerManager, 'executeEngineCommand' | 'restart'>;
    channels: Channels;
    container: ContainerStateStore;
    /** The Python command the server runs with, for CLI verbs run in a terminal. */
    cliLaunch(): Promise<{ command: string; args: string[]; env: Record<string, string> }>;
}

// The output channels: one log channel for the client, the language server's own channel (owned by
// the language client), and plain channels for the build log and the container log.
import type { LogOutputChannel, OutputChannel } from 'vscode';
import { createLogOutputChannel, createOutputChannel } from './vscodeapi';

export interface Channels {
    client: LogOutputChannel;
    server: LogOutputChannel;
    build: OutputChannel;
    container: OutputChannel;
}

export function createChannels(): Channels {
    return {
        client: createLogOutputChannel('Azure ML'),
        server: createLogOutputChannel('Azure ML Language Server'),
        build: createOutputChannel('Azure ML: Build'),
        container: createOutputChannel('Azure ML: Container'),
    };
}

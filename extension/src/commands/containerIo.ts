// Following the container log into an output channel, and a shell inside the container in the
// integrated terminal (`amldebug shell NAME`, which runs `docker exec -it NAME bash`).
import { spawn, type ChildProcess } from 'child_process';
import type { ContainerState } from '../containerState';
import { requireTrust } from '../common/trust';
import { createTerminal, showInformationMessage } from '../common/vscodeapi';
import type { Services } from '../services';
import { reportFailure } from './debugLoop';

export class LogFollower {
    private child: ChildProcess | undefined;

    constructor(private readonly services: Services) {}

    get following(): boolean {
        return this.child !== undefined;
    }

    async showLogs(): Promise<void> {
        if (!(await requireTrust('Show Container Logs'))) {
            return;
        }
        const state = this.services.container.state;
        const channel = this.services.channels.container;
        channel.show(true);
        this.stop();
        if (state.runtime === 'docker' && state.name) {
            await this.follow(state.name);
            return;
        }
        // The process runtime (or an unknown container): the server's tail, then its streamed lines.
        const result = await this.services.server.executeEngineCommand('amldebug.logs', {
            ...(state.name ? { name: state.name } : {}),
            tail: 500,
        });
        if (!result.ok) {
            await reportFailure(this.services, 'Show Container Logs', result);
            return;
        }
        channel.append(result.text);
    }

    /** Stops following when the container is gone. */
    onStateChange(state: ContainerState): void {
        if (['none', 'stopped', 'exited'].includes(state.state)) {
            this.stop();
        }
    }

    stop(): void {
        const child = this.child;
        this.child = undefined;
        child?.kill();
    }

    /** `amldebug logs --follow`: the engine's own log reader, streamed into the channel. */
    private async follow(name: string): Promise<void> {
        const channel = this.services.channels.container;
        channel.appendLine(`--- following the log of ${name} (stops when the container stops) ---`);
        const cli = await this.services.cliLaunch();
        const child = spawn(
            cli.command,
            [...cli.args, 'logs', '--follow', '--tail', '500', '--name', name],
            { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...cli.env } },
        );
        this.child = child;
        child.stdout?.on('data', (chunk: Buffer) => channel.append(chunk.toString('utf8')));
        child.stderr?.on('data', (chunk: Buffer) => channel.append(chunk.toString('utf8')));
        child.on('error', (error) =>
            channel.appendLine(`--- cannot follow the log: ${error.message} ---`),
        );
        child.on('exit', () => {
            if (this.child === child) {
                this.child = undefined;
            }
            channel.appendLine('--- log ended ---');
        });
    }
}

export async function openShell(services: Services): Promise<void> {
    if (!(await requireTrust('Open Shell in Container'))) {
        return;
    }
    const name = services.container.state.name;
    if (!name) {
        void showInformationMessage(
            'Azure ML: no debug container is running. Run "Azure ML: Debug in Container" first.',
        );
        return;
    }
    const cli = await services.cliLaunch();
    const terminal = createTerminal({
        name: `Azure ML: ${name}`,
        shellPath: cli.command,
        shellArgs: [...cli.args, 'shell', '--name', name],
        env: cli.env,
    });
    terminal.show();
}

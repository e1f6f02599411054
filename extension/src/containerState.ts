// What the status bar shows and offers for each state of the debug container. Pure functions over
// the `amldebug/containerState` notification (docs/lsp-protocol.md).

export type ContainerStateName =
    'none' | 'building' | 'starting' | 'ready' | 'crashed' | 'stopped' | 'exited';

export interface ContainerState {
    state: ContainerStateName;
    name?: string;
    port?: number;
    debugPort?: number;
    runtime?: string;
    message?: string;
    image?: string;
}

export const NO_CONTAINER: ContainerState = { state: 'none' };

export interface StatusBarPresentation {
    text: string;
    tooltip: string;
    isError: boolean;
}

export interface StateAction {
    label: string;
    command: string;
    detail: string;
}

const KNOWN_STATES: readonly ContainerStateName[] = [
    'none',
    'building',
    'starting',
    'ready',
    'crashed',
    'stopped',
    'exited',
];

/** Accepts the notification payload (or an `amldebug.status` result) defensively. */
export function parseContainerState(raw: unknown): ContainerState {
    if (!raw || typeof raw !== 'object') {
        return NO_CONTAINER;
    }
    const value = raw as Record<string, unknown>;
    const state = KNOWN_STATES.includes(value.state as ContainerStateName)
        ? (value.state as ContainerStateName)
        : 'none';
    const text = (key: string): string | undefined =>
        typeof value[key] === 'string' ? (value[key] as string) : undefined;
    const num = (key: string): number | undefined =>
        typeof value[key] === 'number' ? (value[key] as number) : undefined;
    return {
        state,
        name: text('name'),
        port: num('port'),
        debugPort: num('debugPort'),
        runtime: text('runtime'),
        message: text('message'),
        image: text('image'),
    };
}

export function presentState(state: ContainerState): StatusBarPresentation {
    const where = state.name ? ` (${state.name})` : '';
    const detail = state.message ? `\n${state.message}` : '';
    switch (state.state) {
        case 'building':
            return {
                text: '$(sync~spin) Azure ML: building',
                tooltip: `Building the debug image${where}${detail}`,
                isError: false,
            };
        case 'starting':
            return {
                text: '$(sync~spin) Azure ML: starting',
                tooltip: `Starting the inference server${where}${detail}`,
                isError: false,
            };
        case 'ready': {
            const port = state.port ?? 8000;
            const debugPart = state.debugPort ? `, debugger :${state.debugPort}` : '';
            return {
                text: `$(pass-filled) Azure ML: ready on :${port}${debugPart}`,
                tooltip: `Scoring at http://127.0.0.1:${port}/score${where}${detail}\nClick for actions.`,
                isError: false,
            };
        }
        case 'crashed':
            return {
                text: '$(error) Azure ML: crashed',
                tooltip: `The inference server stopped${where}${detail}\nClick for actions.`,
                isError: true,
            };
        case 'stopped':
        case 'exited':
            return {
                text: '$(debug-stop) Azure ML: stopped',
                tooltip: `The debug container is not running${where}${detail}\nClick for actions.`,
                isError: false,
            };
        default:
            return {
                text: '$(azure) Azure ML',
                tooltip: 'No debug container. Click for actions.',
                isError: false,
            };
    }
}

const action = (label: string, name: string, detail: string): StateAction => ({
    label,
    command: `azuremlDebug.${name}`,
    detail,
});

export function actionsForState(state: ContainerState): StateAction[] {
    switch (state.state) {
        case 'building':
        case 'starting':
            return [
                action('$(output) Show Build and Container Logs', 'showLogs', 'Follow the output'),
                action('$(debug-stop) Stop', 'stopContainer', 'Stop the debug container'),
            ];
        case 'ready':
            return [
                action(
                    '$(send) Send Test Request',
                    'sendTestRequest',
                    'POST sample-request.json to /score',
                ),
                action(
                    '$(debug) Attach Debugger',
                    'attach',
                    `debugpy on :${state.debugPort ?? 5678}`,
                ),
                action(
                    '$(refresh) Reload Entry Script',
                    'reload',
                    'Restart the workers with your edits',
                ),
                action('$(output) Show Container Logs', 'showLogs', 'Follow the container log'),
                action('$(terminal) Open Shell', 'openShell', 'docker exec -it … bash'),
                action(
                    '$(git-commit) Commit Container',
                    'commitContainer',
                    'Save the container as a new image tag',
                ),
                action(
                    '$(cloud-download) Sync Edits from Container',
                    'syncFromContainer',
                    'Copy files changed inside the container to the workspace',
                ),
                action('$(debug-stop) Stop', 'stopContainer', 'Stop the debug container'),
            ];
        case 'crashed':
            return [
                action('$(output) Show Container Logs', 'showLogs', 'See why it stopped'),
                action(
                    '$(lightbulb) Explain Deployment Log',
                    'explainLog',
                    'Match the log against known failures',
                ),
                action(
                    '$(debug-alt) Debug in Container Again',
                    'debugInContainer',
                    'Rebuild and run',
                ),
                action('$(debug-stop) Stop', 'stopContainer', 'Remove the container'),
            ];
        default:
            return [
                action(
                    '$(debug-alt) Debug in Container',
                    'debugInContainer',
                    'Build, run, attach: one click',
                ),
                action('$(package) Build Debug Image', 'buildImage', 'Build only'),
                action(
                    '$(json) Generate launch.json',
                    'generateLaunchConfig',
                    'Add the attach configuration',
                ),
                action(
                    '$(lightbulb) Explain Deployment Log',
                    'explainLog',
                    'Match a log against known failures',
                ),
                action(
                    '$(server) Estimate AKS Replicas',
                    'estimateReplicas',
                    'Replicas for a target load',
                ),
            ];
    }
}

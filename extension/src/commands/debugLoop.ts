// The debug-loop commands: each gathers options from settings and the user, calls one engine command
// on the language server, and shows the result. No engine logic lives here.
import * as path from 'path';
import * as vscode from 'vscode';
import { debugLoopOptions, getSettings, type AmlDebugSettings } from '../common/settings';
import { explainUntrusted, requireTrust } from '../common/trust';
import {
    asRelativePath,
    fileExists,
    findFiles,
    openTextDocument,
    readFileText,
    showErrorMessage,
    showInformationMessage,
    showInputBox,
    showModalWarning,
    showTextDocument,
    startDebugging,
    withProgress,
    writeFileText,
} from '../common/vscodeapi';
import { ensureDebuggerExtension, hasDebuggerExtension } from '../debugger';
import { failureMessage, formatTestResponse, SAMPLE_REQUEST } from '../formatting';
import {
    AMLDEBUG_DEBUG_TYPE,
    defaultAttachConfiguration,
    type AttachConfiguration,
    findAttachConfiguration,
    writeThroughWorkspaceEdit,
    type WriteOutcome,
} from '../launchConfig';
import type {
    CommandAnswer,
    CommandName,
    CommandParams,
    Failure,
    InvokeParams,
    LaunchConfigFailure,
    LaunchConfigResult,
    StartFailure,
} from '../generated/contract';
import { resolveProject, targetOptions, type ProjectTarget } from '../project';
import type { ReadOnlyDocuments } from '../readOnlyDocuments';
import type { Services } from '../services';

export const SHOW_LOGS = 'Show Logs';

export function runWithProgress<C extends CommandName>(
    services: Services,
    title: string,
    command: C,
    params: CommandParams[C],
): Thenable<CommandAnswer<C>> {
    return withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        (progress, token) => services.server.executeEngineCommand(command, params, progress, token),
    );
}

/** A failure, said once: cancelled, refused for trust (the server's decision), or what and why. */
export async function reportFailure(
    services: Services,
    what: string,
    result: Failure,
): Promise<void> {
    if (result.untrusted) {
        await explainUntrusted(what);
        return;
    }
    if (result.cancelled) {
        void showInformationMessage(`Azure ML: ${what} cancelled.`);
        return;
    }
    services.channels.client.error(failureMessage(what, result));
    const choice = await showErrorMessage(failureMessage(what, result), SHOW_LOGS);
    if (choice === SHOW_LOGS) {
        services.channels.build.show(true);
    }
}

export function containerName(services: Services): { name?: string } {
    const name = services.container.state.name;
    return name ? { name } : {};
}

/** Where an inference server died: an init() crash answer, or `amldebug.status` of a crash. */
export interface CrashReport {
    traceback?: string;
    file?: string;
    line?: number;
    error?: string;
}

/** Opens score.py at the line where init() failed, with the traceback in the container channel. */
export async function showInitCrash(services: Services, result: CrashReport): Promise<void> {
    const traceback = result.traceback ?? '';
    services.channels.container.appendLine(traceback);
    services.channels.container.show(true);
    const lastLine = traceback.trim().split('\n').pop() || (result.error ?? '');
    if (result.file) {
        const line = result.line !== undefined ? Math.max(result.line - 1, 0) : 0;
        const document = await openTextDocument(vscode.Uri.file(result.file));
        const position = new vscode.Position(line, 0);
        await showTextDocument(document, { selection: new vscode.Range(position, position) });
        void showErrorMessage(
            `Azure ML: the entry script failed in init() at ${path.basename(result.file)}:${line + 1}: ${lastLine}`,
        );
        return;
    }
    void showErrorMessage(`Azure ML: the inference server failed to start: ${lastLine}`);
}

export async function debugInContainer(
    services: Services,
    resource?: vscode.Uri,
): Promise<boolean> {
    const target = await resolveProject(resource);
    if (!target) {
        return false;
    }
    const settings = getSettings(target.workspaceFolder.uri);
    // The offer to install the debugger must not hold up the build: ask now, decide at the end.
    const debuggerOffer = hasDebuggerExtension()
        ? Promise.resolve(true)
        : ensureDebuggerExtension();
    services.channels.build.clear();
    services.channels.build.show(true);
    services.container.update({ state: 'building' });
    // The server computes launch.json but leaves writing it to us: one undoable WorkspaceEdit.
    const result = await runWithProgress(services, 'Azure ML: Debug in Container', 'amldebug.up', {
        ...debugLoopOptions(settings, target.projectDir, target.workspaceFolder.uri.fsPath),
        writeLaunchConfig: false,
    });
    if (!result.ok) {
        await reportStartFailure(services, 'Debug in Container', result);
        return false;
    }
    // The container state (name, ports, runtime) came as amldebug/containerState before this
    // answer: the server writes the answer after the command's notifications.
    const written = await writeLaunchConfig(services, target, settings, result.launchConfigEdit);
    // Without the Python Debugger (still offered above), our own debug type attaches.
    void debuggerOffer;
    return attachToContainer(services, target, settings, written?.text);
}

/** A failed up/run: an init() crash opens score.py at its line; anything else is reported. */
async function reportStartFailure(
    services: Services,
    action: string,
    result: Failure | StartFailure,
): Promise<void> {
    // Only a container that started and died is "crashed"; a failed build leaves none.
    const crashed = 'traceback' in result && result.traceback !== undefined;
    services.container.update({ state: crashed ? 'crashed' : 'none', message: result.error });
    if (crashed) {
        await showInitCrash(services, result);
    } else {
        await reportFailure(services, action, result);
    }
}

export async function buildImage(services: Services, resource?: vscode.Uri): Promise<void> {
    const target = await resolveProject(resource);
    if (!target) {
        return;
    }
    const settings = getSettings(target.workspaceFolder.uri);
    const options = debugLoopOptions(
        settings,
        target.projectDir,
        target.workspaceFolder.uri.fsPath,
    );
    if (resource && /\.ya?ml$/i.test(resource.fsPath)) {
        options.condaFile = resource.fsPath;
    }
    services.channels.build.clear();
    services.channels.build.show(true);
    services.container.update({ state: 'building' });
    const result = await runWithProgress(
        services,
        'Azure ML: Build Debug Image',
        'amldebug.build',
        options,
    );
    services.container.update({ state: 'none' });
    if (!result.ok) {
        await reportFailure(services, 'Building the debug image', result);
        return;
    }
    void showInformationMessage(
        `Azure ML: built ${result.image} in ${result.seconds.toFixed(1)} s.`,
    );
}

export async function runContainer(services: Services, resource?: vscode.Uri): Promise<void> {
    const target = await resolveProject(resource);
    if (!target) {
        return;
    }
    const settings = getSettings(target.workspaceFolder.uri);
    services.container.update({ state: 'starting' });
    const result = await runWithProgress(
        services,
        'Azure ML: Run Debug Container',
        'amldebug.run',
        debugLoopOptions(settings, target.projectDir, target.workspaceFolder.uri.fsPath),
    );
    if (!result.ok) {
        await reportStartFailure(services, 'Running the debug container', result);
        return;
    }
    const url = result.url ?? `http://127.0.0.1:${result.port ?? settings.port}`;
    void showInformationMessage(
        `Azure ML: serving on ${url}; debugger on :${result.debugPort ?? settings.debugPort}.`,
    );
}

/**
 * Writes the merged launch.json text through a WorkspaceEdit: the text `computed` by an earlier
 * command (Debug in Container's `up`), else the text `amldebug.launchConfig` returns now.
 */
export async function writeLaunchConfig(
    services: Services,
    target: ProjectTarget,
    settings: AmlDebugSettings,
    computed?: LaunchConfigResult | LaunchConfigFailure,
): Promise<{ outcome: WriteOutcome; uri: vscode.Uri; text: string } | undefined> {
    const result =
        computed ??
        (await services.server.executeEngineCommand('amldebug.launchConfig', {
            ...targetOptions(target),
            debugPort: settings.debugPort,
            runtime: settings.runtime,
            write: false,
        }));
    if (!result.ok) {
        await reportFailure(services, 'Generate launch.json', result);
        return undefined;
    }
    const uri = vscode.Uri.file(result.path);
    const outcome = await writeThroughWorkspaceEdit(uri, result.text);
    services.channels.client.info(`launch.json ${outcome}: ${uri.fsPath}`);
    return { outcome, uri, text: result.text };
}

export async function generateLaunchConfig(
    services: Services,
    resource?: vscode.Uri,
): Promise<void> {
    // Writing a file on a project's behalf needs trust, like running it (issue 9, item 5): the
    // server refuses to compute it in an untrusted workspace.
    const target = await resolveProject(resource);
    if (!target) {
        return;
    }
    const written = await writeLaunchConfig(
        services,
        target,
        getSettings(target.workspaceFolder.uri),
    );
    if (!written) {
        return;
    }
    const messages: Record<WriteOutcome, string> = {
        created: 'created with the "attach to debug container" configuration',
        updated: 'updated with the "attach to debug container" configuration (Undo reverts it)',
        unchanged: 'already has the "attach to debug container" configuration',
        refused: 'was not changed: the editor refused the edit',
    };
    void showInformationMessage(
        `Azure ML: ${asRelativePath(written.uri)} ${messages[written.outcome]}.`,
    );
}

/** The entry the server would write (its project folder, mapped from the workspace folder), for
 * when launch.json has none: the user declined writing it. */
async function serverAttachConfiguration(
    services: Services,
    target: ProjectTarget,
    debugPort: number,
    runtime: 'docker' | 'process',
): Promise<AttachConfiguration | undefined> {
    const result = await services.server.executeEngineCommand('amldebug.launchConfig', {
        ...targetOptions(target),
        debugPort,
        runtime,
        write: false,
    });
    return result.ok ? findAttachConfiguration(result.text, debugPort, runtime) : undefined;
}

async function attachToContainer(
    services: Services,
    target: ProjectTarget,
    settings: AmlDebugSettings,
    launchText?: string,
): Promise<boolean> {
    const launchUri = vscode.Uri.joinPath(target.workspaceFolder.uri, '.vscode', 'launch.json');
    const debugPort = services.container.state.debugPort ?? settings.debugPort;
    const runtime = services.container.state.runtime === 'process' ? 'process' : 'docker';
    // The text just written when there is one (the file may not be saved yet), else the file.
    const text =
        launchText ?? ((await fileExists(launchUri)) ? await readFileText(launchUri) : undefined);
    const fromFile =
        text !== undefined ? findAttachConfiguration(text, debugPort, runtime) : undefined;
    const written =
        fromFile ??
        (await serverAttachConfiguration(services, target, debugPort, runtime)) ??
        defaultAttachConfiguration(target.projectDir, debugPort, runtime);
    // Microsoft's Python Debugger when installed; otherwise VS Code speaks DAP to debugpy itself.
    const configuration =
        written.type === 'debugpy' && !hasDebuggerExtension()
            ? { ...written, type: AMLDEBUG_DEBUG_TYPE }
            : written;
    const started = await startDebugging(target.workspaceFolder, configuration);
    if (!started) {
        void showErrorMessage(
            `Azure ML: the debugger did not attach to 127.0.0.1:${debugPort}. Is the container running? ` +
                'Its log is in "Azure ML: Container".',
        );
    }
    return started;
}

export async function attach(services: Services, resource?: vscode.Uri): Promise<boolean> {
    if (!(await requireTrust('Attach Debugger'))) {
        return false;
    }
    const target = await resolveProject(resource);
    if (!target) {
        return false;
    }
    if (!hasDebuggerExtension()) {
        void ensureDebuggerExtension(); // offered, not waited for: our own type attaches meanwhile
    }
    return attachToContainer(services, target, getSettings(target.workspaceFolder.uri));
}

async function existingSampleRequest(target: ProjectTarget): Promise<vscode.Uri | undefined> {
    const beside = vscode.Uri.file(path.join(target.projectDir, 'sample-request.json'));
    if (await fileExists(beside)) {
        return beside;
    }
    const found = await findFiles(
        new vscode.RelativePattern(target.workspaceFolder, '**/sample-request.json'),
        '**/node_modules/**',
        1,
    );
    return found[0];
}

async function offerSampleRequest(target: ProjectTarget): Promise<vscode.Uri | undefined> {
    const beside = vscode.Uri.file(path.join(target.projectDir, 'sample-request.json'));
    const create = 'Create sample-request.json';
    const choice = await showInformationMessage(
        'Azure ML: no sample-request.json found. Create one with the {"data": [...]} body that run() receives?',
        create,
    );
    if (choice !== create) {
        return undefined;
    }
    await writeFileText(beside, SAMPLE_REQUEST);
    await showTextDocument(await openTextDocument(beside));
    return beside;
}

export async function sendTestRequest(
    services: Services,
    documents: ReadOnlyDocuments,
    resource?: vscode.Uri,
): Promise<void> {
    const target = await resolveProject(resource);
    if (!target) {
        return;
    }
    const port = services.container.state.port ?? getSettings(target.workspaceFolder.uri).port;
    const invoke = (params: InvokeParams) =>
        services.server.executeEngineCommand('amldebug.invoke', {
            folder: target.projectDir,
            port,
            ...params,
        });
    let requestFile =
        resource && resource.fsPath.endsWith('.json')
            ? resource
            : await existingSampleRequest(target);
    let result: CommandAnswer<'amldebug.invoke'> | undefined;
    if (!requestFile) {
        // run()'s declared input sample (inference-schema), as the server publishes it in
        // /swagger.json, beats an empty template: the server writes it and sends it.
        const fromSwagger = await invoke({ sampleFromSwagger: true });
        if ('sampleWritten' in fromSwagger && fromSwagger.sampleWritten) {
            requestFile = vscode.Uri.file(fromSwagger.sampleWritten);
            result = fromSwagger;
            void showInformationMessage(
                `Azure ML: ${asRelativePath(requestFile)} written from the input sample the ` +
                    'server publishes in /swagger.json.',
            );
        } else if (fromSwagger.ok === false && fromSwagger.untrusted) {
            await reportFailure(services, 'Send Test Request', fromSwagger);
            return;
        } else {
            requestFile = await offerSampleRequest(target);
        }
    }
    if (!requestFile) {
        return;
    }
    result ??= await invoke({ file: requestFile.fsPath });
    if (!('status' in result)) {
        // No answer from the scoring server at all (a non-2xx answer is shown like any other).
        await reportFailure(services, 'Send Test Request', result);
        return;
    }
    const url = `http://127.0.0.1:${port}/score`;
    await documents.show(
        'response.jsonc',
        formatTestResponse(result, url, asRelativePath(requestFile)),
    );
}

export async function stopContainer(services: Services): Promise<void> {
    const result = await services.server.executeEngineCommand(
        'amldebug.stop',
        containerName(services),
    );
    if (!result.ok) {
        await reportFailure(services, 'Stop Debug Container', result);
        return;
    }
    // `stopped` came as amldebug/containerState before this answer.
    void showInformationMessage('Azure ML: debug container stopped.');
}

export async function commitContainer(services: Services): Promise<void> {
    const tag = await showInputBox({
        title: 'Azure ML: Commit Container to Image',
        prompt: 'Image tag for the container as it is now (empty: the next free debug:N)',
        placeHolder: 'debug:2',
    });
    if (tag === undefined) {
        return;
    }
    const result = await services.server.executeEngineCommand('amldebug.commit', {
        ...containerName(services),
        ...(tag.trim() ? { tag: tag.trim() } : {}),
    });
    if (!result.ok) {
        await reportFailure(services, 'Commit Container', result);
        return;
    }
    void showInformationMessage(`Azure ML: container saved as ${result.image}.`);
}

export async function syncFromContainer(services: Services): Promise<void> {
    const target = await resolveProject();
    if (!target) {
        return;
    }
    const base = { ...containerName(services), ...targetOptions(target) };
    const preview = await services.server.executeEngineCommand('amldebug.sync', {
        ...base,
        apply: false,
    });
    if (!preview.ok) {
        await reportFailure(services, 'Sync Edits from Container', preview);
        return;
    }
    const changed = preview.changed.map((change) => `${change.path} (${change.status})`);
    if (changed.length === 0) {
        void showInformationMessage(
            'Azure ML: the container has no edits that the workspace lacks.',
        );
        return;
    }
    const copy = `Copy ${changed.length} file(s)`;
    const choice = await showModalWarning(
        'Azure ML: copy the files edited inside the container into the workspace?',
        changed.join('\n'),
        copy,
    );
    if (choice !== copy) {
        return;
    }
    const result = await services.server.executeEngineCommand('amldebug.sync', {
        ...base,
        apply: true,
    });
    if (!result.ok) {
        await reportFailure(services, 'Syncing from the container', result);
        return;
    }
    const applied = result.applied.length;
    const skipped = result.skipped.length;
    void showInformationMessage(
        `Azure ML: copied ${applied} file(s) from the container${skipped ? `, skipped ${skipped} changed on both sides` : ''}.`,
    );
}

export async function pullImage(services: Services): Promise<void> {
    const image = await showInputBox({
        title: 'Azure ML: Pull Base Image',
        prompt: 'Image to pull (registry/repository:tag)',
        value: getSettings().baseImage,
        ignoreFocusOut: true,
    });
    if (!image) {
        return;
    }
    const username = await showInputBox({
        title: 'Azure ML: Pull Base Image',
        prompt: 'Registry user name (leave empty for an anonymous pull)',
        ignoreFocusOut: true,
    });
    const password = username
        ? await showInputBox({
              title: 'Azure ML: Pull Base Image',
              prompt: 'Registry password or token',
              password: true,
              ignoreFocusOut: true,
          })
        : undefined;
    const result = await runWithProgress(services, `Azure ML: Pulling ${image}`, 'amldebug.pull', {
        image,
        ...(username ? { username, password } : {}),
    });
    if (!result.ok) {
        await reportFailure(services, `Pulling ${image}`, result);
        return;
    }
    void showInformationMessage(`Azure ML: pulled ${result.image}.`);
}

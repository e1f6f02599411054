// Explaining a deployment log and estimating AKS replicas: pure engine calls, allowed in Restricted
// Mode because they read text and run nothing.
import * as path from 'path';
import {
    readFileText,
    getActiveTextEditor,
    showInformationMessage,
    showInputBox,
    showOpenDialog,
    showQuickPick,
} from '../common/vscodeapi';
import { formatLogExplanation, formatReplicaEstimate } from '../formatting';
import type { ReadOnlyDocuments } from '../readOnlyDocuments';
import type { Services } from '../services';
import { reportFailure } from './debugLoop';

async function logText(services: Services): Promise<string | undefined> {
    const editor = getActiveTextEditor();
    const items: { label: string; source: 'selection' | 'editor' | 'file' | 'container' }[] = [];
    if (editor && !editor.selection.isEmpty) {
        items.push({ label: '$(selection) The selected text', source: 'selection' });
    }
    if (editor) {
        items.push({
            label: `$(file) ${path.basename(editor.document.fileName)} (active editor)`,
            source: 'editor',
        });
    }
    items.push({ label: '$(folder-opened) A log file…', source: 'file' });
    if (services.container.state.state !== 'none') {
        items.push({ label: '$(output) The debug container log', source: 'container' });
    }
    const picked =
        items.length === 1
            ? items[0]
            : await showQuickPick(items, { placeHolder: 'Which log should be explained?' });
    switch (picked?.source) {
        case 'selection':
            return editor?.document.getText(editor.selection);
        case 'editor':
            return editor?.document.getText();
        case 'file': {
            const files = await showOpenDialog({
                canSelectMany: false,
                title: 'Deployment or build log',
            });
            return files?.[0] ? readFileText(files[0]) : undefined;
        }
        case 'container': {
            const result = await services.server.executeEngineCommand('amldebug.logs', {
                ...(services.container.state.name ? { name: services.container.state.name } : {}),
                tail: 2000,
            });
            if (!result.ok) {
                await reportFailure(services, 'Reading the container log', result);
                return undefined;
            }
            return result.text;
        }
        default:
            return undefined;
    }
}

export async function explainLog(services: Services, documents: ReadOnlyDocuments): Promise<void> {
    const text = await logText(services);
    if (!text) {
        return;
    }
    const result = await services.server.executeEngineCommand('amldebug.explain', { text });
    if (!result.ok) {
        await reportFailure(services, 'Explaining the log', result);
        return;
    }
    await documents.show('log-explanation.md', formatLogExplanation(result));
}

async function askNumber(prompt: string, value: string): Promise<number | undefined> {
    const answer = await showInputBox({
        title: 'Azure ML: Estimate AKS Replicas',
        prompt,
        value,
        validateInput: (text) =>
            Number.isFinite(Number(text)) && Number(text) > 0
                ? undefined
                : 'Enter a positive number',
    });
    return answer === undefined ? undefined : Number(answer);
}

export async function estimateReplicas(services: Services): Promise<void> {
    const targetRps = await askNumber('Target requests per second', '10');
    if (targetRps === undefined) {
        return;
    }
    const requestTime = await askNumber('Seconds one request takes', '0.5');
    if (requestTime === undefined) {
        return;
    }
    const maxConcurrent = await askNumber('max_concurrent_requests_per_container', '1');
    if (maxConcurrent === undefined) {
        return;
    }
    const targetUtilization = await askNumber('autoscale_target_utilization (%)', '70');
    if (targetUtilization === undefined) {
        return;
    }
    const result = await services.server.executeEngineCommand('amldebug.replicas', {
        targetRps,
        requestTime,
        maxConcurrent,
        targetUtilization,
    });
    if (!result.ok) {
        await reportFailure(services, 'Estimating replicas', result);
        return;
    }
    void showInformationMessage(formatReplicaEstimate(result));
}

// Workspace trust. The language server decides what a command may do in an untrusted workspace
// (it knows trust from initializationOptions and `amldebug/workspaceTrust`, and refuses with
// `untrusted: true`); this module only explains a refusal kindly. Actions that never reach the
// server (a shell in the container, following its log with the CLI) check trust here.
import { executeCommand, isWorkspaceTrusted, showWarningMessage } from './vscodeapi';

export const MANAGE_TRUST = 'Manage Workspace Trust';

export function untrustedMessage(action: string): string {
    return (
        `Azure ML: ${action} runs Docker and code from this workspace (the conda file, ` +
        'Dockerfile.steps and score.py), so it is disabled in Restricted Mode. Trust this ' +
        'workspace to use it; diagnostics work either way.'
    );
}

/** Says why `action` is refused in Restricted Mode and offers to manage trust. */
export async function explainUntrusted(action: string): Promise<void> {
    const choice = await showWarningMessage(untrustedMessage(action), MANAGE_TRUST);
    if (choice === MANAGE_TRUST) {
        await executeCommand('workbench.trust.manage');
    }
}

/**
 * For actions the server never sees: true when the workspace is trusted; otherwise says why the
 * action is refused and returns false.
 */
export async function requireTrust(action: string): Promise<boolean> {
    if (isWorkspaceTrusted()) {
        return true;
    }
    await explainUntrusted(action);
    return false;
}

// Docker builds, containers and processes run code from the workspace, so they need a trusted
// workspace. Diagnostics keep working in Restricted Mode.
import { executeCommand, isWorkspaceTrusted, showWarningMessage } from './vscodeapi';

export const MANAGE_TRUST = 'Manage Workspace Trust';

export function untrustedMessage(action: string): string {
    return (
        `Azure ML: ${action} runs Docker and code from this workspace (the conda file, ` +
        'Dockerfile.steps and score.py), so it is disabled in Restricted Mode. Trust this ' +
        'workspace to use it; diagnostics work either way.'
    );
}

/** True when the workspace is trusted; otherwise says why the action is refused and returns false. */
export async function requireTrust(action: string): Promise<boolean> {
    if (isWorkspaceTrusted()) {
        return true;
    }
    const choice = await showWarningMessage(untrustedMessage(action), MANAGE_TRUST);
    if (choice === MANAGE_TRUST) {
        await executeCommand('workbench.trust.manage');
    }
    return false;
}

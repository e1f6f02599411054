// Starting the debug session, and offering the Python Debugger extension when it is missing instead
// of letting VS Code fail with "unknown debug type".
import { executeCommand, getExtension, showWarningMessage } from './common/vscodeapi';

export const DEBUGPY_EXTENSION_ID = 'ms-python.debugpy';
export const INSTALL_DEBUGGER = 'Install Python Debugger';

export function hasDebuggerExtension(): boolean {
    return !!getExtension(DEBUGPY_EXTENSION_ID);
}

/**
 * True when the Python Debugger is installed; otherwise offers to install it. Callers that have
 * other work to do (building, starting) do not wait on this question: see debugInContainer.
 */
export async function ensureDebuggerExtension(): Promise<boolean> {
    if (hasDebuggerExtension()) {
        return true;
    }
    const choice = await showWarningMessage(
        'Azure ML: attaching to the container needs the Python Debugger extension ' +
            `(${DEBUGPY_EXTENSION_ID}), which is not installed. The container still runs without it.`,
        INSTALL_DEBUGGER,
    );
    if (choice !== INSTALL_DEBUGGER) {
        return false;
    }
    try {
        await executeCommand('workbench.extensions.installExtension', DEBUGPY_EXTENSION_ID);
        return !!getExtension(DEBUGPY_EXTENSION_ID);
    } catch (error) {
        void showWarningMessage(
            `Azure ML: could not install ${DEBUGPY_EXTENSION_ID}: ${String(error)}. Install it from ` +
                'the Extensions view, then run "Azure ML: Attach Debugger to Container".',
        );
        return false;
    }
}

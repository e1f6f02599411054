// Chooses the Python command that runs the language server: the `amldebug.interpreter` setting,
// else the Python extension's active environment, else `python3`.
import { PythonExtension } from '@vscode/python-extension';
import type { Uri } from 'vscode';
import { getExtension } from './vscodeapi';

export const PYTHON_EXTENSION_ID = 'ms-python.python';
export const FALLBACK_PYTHON = process.platform === 'win32' ? 'python' : 'python3';

export interface InterpreterChoice {
    command: string[];
    source: 'setting' | 'python-extension' | 'fallback';
}

export function chooseInterpreter(
    settingValue: readonly string[],
    pythonExtensionPath: string | undefined,
): InterpreterChoice {
    const fromSetting = settingValue.filter((part) => part.trim() !== '');
    if (fromSetting.length > 0) {
        return { command: [...fromSetting], source: 'setting' };
    }
    if (pythonExtensionPath) {
        return { command: [pythonExtensionPath], source: 'python-extension' };
    }
    return { command: [FALLBACK_PYTHON], source: 'fallback' };
}

/** The active environment's executable, or undefined when the Python extension is absent. */
export async function pythonExtensionInterpreter(resource?: Uri): Promise<string | undefined> {
    if (!getExtension(PYTHON_EXTENSION_ID)) {
        return undefined;
    }
    try {
        const api = await PythonExtension.api();
        const active = api.environments.getActiveEnvironmentPath(resource);
        const resolved = await api.environments.resolveEnvironment(active);
        return resolved?.executable.uri?.fsPath;
    } catch {
        // The Python extension is installed but not ready or failed; python3 still works.
        return undefined;
    }
}

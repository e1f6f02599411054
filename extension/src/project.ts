// Which project a command acts on, in one value: the workspace folder (whose settings apply and
// whose .vscode/launch.json VS Code reads) and the project folder inside it. The file the command
// was invoked on decides, else the active editor's file, else the (chosen) workspace folder. In a
// multi-root workspace that is always the folder holding the file, never the first folder.
// The language server takes both as given (`folder` + `workspaceFolder`) and resolves the path
// settings against the workspace folder, as its diagnostics do (server/amldebug/project_target.py).
import * as path from 'path';
import type { Uri, WorkspaceFolder } from 'vscode';
import { getSettings } from './common/settings';
import {
    getActiveTextEditor,
    getWorkspaceFolder,
    getWorkspaceFolders,
    showErrorMessage,
    showQuickPick,
} from './common/vscodeapi';

export interface ProjectTarget {
    /** Folder holding the entry script / conda file: the `folder` option of engine commands. */
    projectDir: string;
    workspaceFolder: WorkspaceFolder;
}

const PROJECT_FILE = /^(score\.py|.*\.ya?ml|Dockerfile\.steps|sample-request\.json)$/i;

function isInside(child: string, parent: string): boolean {
    const relative = path.relative(parent, child);
    return !relative.startsWith('..') && !path.isAbsolute(relative);
}

export function projectDirForFile(filePath: string, workspaceRoot: string): string {
    const dir = path.dirname(filePath);
    // A file outside the workspace folder acts on the workspace folder.
    return isInside(dir, workspaceRoot) ? dir : workspaceRoot;
}

/** The settings' own entry script and conda file of a workspace folder, made absolute. */
function namedProjectFiles(folder: WorkspaceFolder): string[] {
    const settings = getSettings(folder.uri);
    return [settings.entryScript, settings.condaFile]
        .filter((value) => value.trim() !== '')
        .map((value) => path.resolve(folder.uri.fsPath, value.trim()));
}

/**
 * The target for a file in `workspaceFolder`. A project file (score.py, a YAML, Dockerfile.steps,
 * sample-request.json, or the file the folder's entryScript/condaFile setting names) acts on its
 * own folder. Any other file acts on the workspace folder, and the server finds the project the
 * folder's settings name in it (`ws/` with `condaFile: deploy/env.yml` is the project `ws/deploy/`).
 */
export function targetForFile(filePath: string, workspaceFolder: WorkspaceFolder): ProjectTarget {
    const root = workspaceFolder.uri.fsPath;
    const named = namedProjectFiles(workspaceFolder);
    const isProjectFile =
        PROJECT_FILE.test(path.basename(filePath)) ||
        named.some((file) => path.resolve(file) === path.resolve(filePath));
    return {
        projectDir: isProjectFile ? projectDirForFile(filePath, root) : root,
        workspaceFolder,
    };
}

export async function resolveProject(resource?: Uri): Promise<ProjectTarget | undefined> {
    const document = getActiveTextEditor()?.document;
    const candidate = resource ?? (document?.uri.scheme === 'file' ? document.uri : undefined);
    if (candidate && candidate.scheme === 'file') {
        const workspaceFolder = getWorkspaceFolder(candidate);
        if (workspaceFolder) {
            return targetForFile(candidate.fsPath, workspaceFolder);
        }
    }
    const folders = getWorkspaceFolders();
    if (folders.length === 0) {
        void showErrorMessage('Azure ML: open the folder that holds score.py first.');
        return undefined;
    }
    if (folders.length === 1) {
        return { projectDir: folders[0].uri.fsPath, workspaceFolder: folders[0] };
    }
    const picked = await showQuickPick(
        folders.map((folder) => ({ label: folder.name, description: folder.uri.fsPath, folder })),
        { placeHolder: 'Which workspace folder holds the Azure ML project?' },
    );
    return picked
        ? { projectDir: picked.folder.uri.fsPath, workspaceFolder: picked.folder }
        : undefined;
}

/** The `folder` and `workspaceFolder` options every engine command on a project takes. */
export function targetOptions(target: ProjectTarget): { folder: string; workspaceFolder: string } {
    return { folder: target.projectDir, workspaceFolder: target.workspaceFolder.uri.fsPath };
}
